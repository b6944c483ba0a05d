// SQLite DocumentStore: one row (a JSON document) per resource, in the table the store was made
// for (webhooks, eval_datasets: the same columns, see migration 10).
#include <fmt/format.h>

#include "store/sqlite/key_lock.h"
#include "store/sqlite/mlflow3_stores.h"

namespace mlws::store::sqlite {

SqliteDocumentStore::SqliteDocumentStore(WriteQueue& writes, ReaderPool& readers, std::string table,
                                         std::string what)
    : writes_(writes),
      readers_(readers),
      table_(table),
      what_(std::move(what)),
      put_sql_(fmt::format("INSERT OR REPLACE INTO {} (id, workspace_id, creation_ms, doc) "
                           "VALUES (?, ?, ?, ?)",
                           table)),
      get_sql_(fmt::format("SELECT id, creation_ms, doc FROM {} WHERE id = ? AND workspace_id = ?",
                           table)),
      list_sql_(fmt::format("SELECT id, creation_ms, doc FROM {} WHERE workspace_id = ? ORDER BY "
                            "creation_ms, id",
                            table)),
      delete_sql_(fmt::format("DELETE FROM {} WHERE id = ? AND workspace_id = ?", table)),
      update_sql_(fmt::format("UPDATE {} SET doc = ? WHERE id = ? AND workspace_id = ? AND doc = ?",
                              table)) {}

Status SqliteDocumentStore::NoSuch(const std::string& id) const {
  return NotFound(fmt::format("{} with id '{}' not found", what_, id));
}

Status SqliteDocumentStore::Put(std::int64_t ws, const DocumentRecord& d) {
  return writes_.Submit([&](Db& db) { return PutRow(db, ws, d); });
}

Status SqliteDocumentStore::PutRow(Db& db, std::int64_t ws, const DocumentRecord& d) {
  ASSIGN_OR_RETURN(Stmt * s, db.Cached(put_sql_.c_str()));
  s->Bind(1, d.id).Bind(2, ws).Bind(3, d.creation_ms).Bind(4, d.doc);
  return s->Run();
}

StatusOr<std::optional<DocumentRecord>> SqliteDocumentStore::LockRow(Db& db, std::int64_t ws,
                                                                     const std::string& id) {
  RETURN_IF_ERROR(LockKey(db, fmt::format("{}/{}/{}", table_, ws, id)));
  ASSIGN_OR_RETURN(Stmt * g, db.Cached(get_sql_.c_str()));
  g->Bind(1, id).Bind(2, ws);
  ASSIGN_OR_RETURN(bool row, g->Step());
  if (!row) return std::optional<DocumentRecord>();
  DocumentRecord out{g->Text(0), g->Int(1), g->Text(2)};
  g->Reset();
  return std::optional<DocumentRecord>(std::move(out));
}

StatusOr<std::vector<DocumentRecord>> SqliteDocumentStore::ListRows(Db& db, std::int64_t ws) {
  ASSIGN_OR_RETURN(Stmt * s, db.Cached(list_sql_.c_str()));
  s->Bind(1, ws);
  std::vector<DocumentRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(DocumentRecord{s->Text(0), s->Int(1), s->Text(2)});
  }
  return out;
}

Status SqliteDocumentStore::DeleteRow(Db& db, std::int64_t ws, const std::string& id) {
  ASSIGN_OR_RETURN(Stmt * s, db.Cached(delete_sql_.c_str()));
  s->Bind(1, id).Bind(2, ws);
  RETURN_IF_ERROR(s->Run());
  if (db.Changes() == 0) return NoSuch(id);
  return Status::Ok();
}

StatusOr<DocumentRecord> SqliteDocumentStore::Get(std::int64_t ws, const std::string& id) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(get_sql_.c_str()));
  s->Bind(1, id).Bind(2, ws);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NoSuch(id);
  return DocumentRecord{s->Text(0), s->Int(1), s->Text(2)};
}

StatusOr<std::vector<DocumentRecord>> SqliteDocumentStore::List(std::int64_t ws) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  return ListRows(lease.db(), ws);
}

Status SqliteDocumentStore::Delete(std::int64_t ws, const std::string& id) {
  return writes_.Submit([&](Db& db) { return DeleteRow(db, ws, id); });
}

Status SqliteDocumentStore::Update(std::int64_t ws, const std::string& id, const Mutation& mutate) {
  // Within one server the writer runs tasks one at a time, so the read inside the task is the
  // latest; the conditional UPDATE (doc unchanged) also covers other servers on the same
  // PostgreSQL database, whose writers are not this one.
  constexpr int kAttempts = 8;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    bool conflict = false;
    Status st = writes_.Submit([&](Db& db) -> Status {
      conflict = false;
      ASSIGN_OR_RETURN(Stmt * g, db.Cached(get_sql_.c_str()));
      g->Bind(1, id).Bind(2, ws);
      ASSIGN_OR_RETURN(bool row, g->Step());
      if (!row) return NoSuch(id);
      DocumentRecord old{g->Text(0), g->Int(1), g->Text(2)};
      g->Reset();
      ASSIGN_OR_RETURN(std::string doc, mutate(old));
      ASSIGN_OR_RETURN(Stmt * u, db.Cached(update_sql_.c_str()));
      u->Bind(1, doc).Bind(2, id).Bind(3, ws).Bind(4, old.doc);
      RETURN_IF_ERROR(u->Run());
      conflict = db.Changes() == 0;
      return Status::Ok();
    });
    if (!st.ok() || !conflict) return st;
  }
  return Status(ErrorCode::kResourceConflict,
                fmt::format("{} '{}' is being changed concurrently; try again", what_, id));
}

}  // namespace mlws::store::sqlite
