#include "mlws/common/ids.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

using tracking::Workspace;

namespace {

StatusOr<Workspace> LoadWorkspaceByName(Db& db, const std::string& name) {
  ASSIGN_OR_RETURN(
      Stmt * s,
      db.Cached("SELECT id, name, description, creation_time FROM workspaces WHERE name = ?"));
  s->Bind(1, name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFound("Workspace '" + name + "' does not exist.");
  return Workspace{s->Int(0), s->Text(1), s->Text(2), s->Int(3)};
}

}  // namespace

StatusOr<Workspace> SqliteWorkspaceStore::CreateWorkspace(const std::string& name,
                                                          const std::string& description) {
  Workspace out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * exists, db.Cached("SELECT 1 FROM workspaces WHERE name = ?"));
    exists->Bind(1, name);
    ASSIGN_OR_RETURN(bool row, exists->Step());
    if (row) return AlreadyExists("Workspace '" + name + "' already exists.");
    long long now = NowMillis();
    // Ids come from a counter (migration 9), never max(id) + 1: a deleted workspace's id is not
    // given to the next one.
    ASSIGN_OR_RETURN(Stmt * next,
                     db.Cached("UPDATE id_counters SET last_id = (SELECT MAX(v) FROM (SELECT "
                               "last_id AS v UNION ALL SELECT MAX(id) FROM workspaces) m) + 1 "
                               "WHERE name = 'workspaces' RETURNING last_id"));
    ASSIGN_OR_RETURN(bool got, next->Step());
    if (!got) return Internal("the workspace id counter is missing (migration 9)");
    std::int64_t id = next->Int(0);
    next->Reset();  // with RETURNING, the first step has made the change
    ASSIGN_OR_RETURN(Stmt * ins, db.Cached("INSERT INTO workspaces (id, name, description, "
                                           "creation_time) VALUES (?, ?, ?, ?)"));
    ins->Bind(1, id).Bind(2, name).Bind(3, description).Bind(4, static_cast<std::int64_t>(now));
    RETURN_IF_ERROR(ins->Run());
    ASSIGN_OR_RETURN(Stmt * exp,
                     db.Cached("INSERT INTO experiments (workspace_id, exp_id, name, "
                               "artifact_location, creation_time, last_update_time) "
                               "VALUES (?, 0, 'Default', 'mlflow-artifacts:/0', ?, ?)"));
    exp->Bind(1, id)
        .Bind(2, static_cast<std::int64_t>(now))
        .Bind(3, static_cast<std::int64_t>(now));
    RETURN_IF_ERROR(exp->Run());
    out = Workspace{id, name, description, now};
    return Status::Ok();
  }));
  return out;
}

StatusOr<Workspace> SqliteWorkspaceStore::GetWorkspace(const std::string& name) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  return LoadWorkspaceByName(lease.db(), name);
}

StatusOr<std::vector<Workspace>> SqliteWorkspaceStore::ListWorkspaces() {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT id, name, description, creation_time "
                                               "FROM workspaces ORDER BY name"));
  std::vector<Workspace> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(Workspace{s->Int(0), s->Text(1), s->Text(2), s->Int(3)});
  }
  return out;
}

Status SqliteWorkspaceStore::DeleteWorkspace(const std::string& name) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Workspace ws, LoadWorkspaceByName(db, name));
    ASSIGN_OR_RETURN(Stmt * del, db.Cached("DELETE FROM workspaces WHERE id = ?"));
    del->Bind(1, ws.id);
    return del->Run();
  });
}

}  // namespace mlws::store::sqlite
