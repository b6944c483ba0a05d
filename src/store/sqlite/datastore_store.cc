// Datastores on SQLite: one row per datastore; at most one is the workspace's default.
#include <fmt/format.h>

#include "store/sqlite/key_lock.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

namespace {

using assets::Datastore;

Datastore ReadDatastore(const Stmt& s) {
  Datastore d;
  d.name = s.Text(0);
  d.type = s.Text(1);
  d.description = s.Text(2);
  d.is_default = s.Int(3) != 0;
  d.spec_json = s.Text(4);
  d.created_at = s.Int(5);
  d.created_by = s.Text(6);
  return d;
}

Status NoSuchDatastore(const std::string& name) {
  return NotFound(fmt::format("Datastore '{}' does not exist in this workspace.", name));
}

}  // namespace

StatusOr<Datastore> SqliteAssetStore::CreateDatastore(std::int64_t ws, const Datastore& d) {
  Status st = writes_.Submit([&](Db& db) -> Status {
    if (d.is_default) {
      // Clearing the others and inserting this one under the workspace's key lock: without it
      // a second server's clear (PostgreSQL: its statement's snapshot) misses the default this
      // one is inserting, and both stay default.
      RETURN_IF_ERROR(LockKey(db, fmt::format("datastore-default/{}", ws)));
      ASSIGN_OR_RETURN(Stmt * c,
                       db.Cached("UPDATE datastores SET is_default = 0 WHERE workspace_id = ?"));
      c->Bind(1, ws);
      RETURN_IF_ERROR(c->Run());
    }
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("INSERT INTO datastores (workspace_id, name, type, description, "
                               "is_default, spec, created_at, created_by) VALUES (?, ?, ?, ?, ?, "
                               "?, ?, ?)"));
    s->Bind(1, ws).Bind(2, d.name).Bind(3, d.type).Bind(4, d.description);
    s->Bind(5, d.is_default ? 1 : 0).Bind(6, d.spec_json).Bind(7, d.created_at);
    s->Bind(8, d.created_by);
    Status ins = s->Run();
    if (ins.code() == ErrorCode::kResourceAlreadyExists) {
      return AlreadyExists(fmt::format("Datastore '{}' already exists.", d.name));
    }
    return ins;
  });
  if (!st.ok()) return st;
  return d;
}

StatusOr<Datastore> SqliteAssetStore::GetDatastore(std::int64_t ws, const std::string& name) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT name, type, description, is_default, spec, "
                                               "created_at, created_by FROM datastores WHERE "
                                               "workspace_id = ? AND name = ?"));
  s->Bind(1, ws).Bind(2, name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NoSuchDatastore(name);
  return ReadDatastore(*s);
}

StatusOr<std::vector<Datastore>> SqliteAssetStore::ListDatastores(std::int64_t ws) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT name, type, description, is_default, spec, "
                                               "created_at, created_by FROM datastores WHERE "
                                               "workspace_id = ? ORDER BY name"));
  s->Bind(1, ws);
  std::vector<Datastore> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ReadDatastore(*s));
  }
  return out;
}

Status SqliteAssetStore::DeleteDatastore(std::int64_t ws, const std::string& name) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("DELETE FROM datastores WHERE workspace_id = ? AND name = ?"));
    s->Bind(1, ws).Bind(2, name);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) return NoSuchDatastore(name);
    return Status::Ok();
  });
}

}  // namespace mlws::store::sqlite
