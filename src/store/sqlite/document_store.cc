// SQLite DocumentStore: one row (a JSON document) per resource, in the table the store was made
// for (webhooks, eval_datasets: the same columns, see migration 10).
#include <fmt/format.h>

#include "store/sqlite/mlflow3_stores.h"

namespace mlws::store::sqlite {

SqliteDocumentStore::SqliteDocumentStore(WriteQueue& writes, ReaderPool& readers, std::string table,
                                         std::string what)
    : writes_(writes),
      readers_(readers),
      what_(std::move(what)),
      put_sql_(fmt::format("INSERT OR REPLACE INTO {} (id, workspace_id, creation_ms, doc) "
                           "VALUES (?, ?, ?, ?)",
                           table)),
      get_sql_(fmt::format("SELECT id, creation_ms, doc FROM {} WHERE id = ? AND workspace_id = ?",
                           table)),
      list_sql_(fmt::format("SELECT id, creation_ms, doc FROM {} WHERE workspace_id = ? ORDER BY "
                            "creation_ms, id",
                            table)),
      delete_sql_(fmt::format("DELETE FROM {} WHERE id = ? AND workspace_id = ?", table)) {}

Status SqliteDocumentStore::NoSuch(const std::string& id) const {
  return NotFound(fmt::format("{} with id '{}' not found", what_, id));
}

Status SqliteDocumentStore::Put(std::int64_t ws, const DocumentRecord& d) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached(put_sql_.c_str()));
    s->Bind(1, d.id).Bind(2, ws).Bind(3, d.creation_ms).Bind(4, d.doc);
    return s->Run();
  });
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
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(list_sql_.c_str()));
  s->Bind(1, ws);
  std::vector<DocumentRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(DocumentRecord{s->Text(0), s->Int(1), s->Text(2)});
  }
  return out;
}

Status SqliteDocumentStore::Delete(std::int64_t ws, const std::string& id) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached(delete_sql_.c_str()));
    s->Bind(1, id).Bind(2, ws);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) return NoSuch(id);
    return Status::Ok();
  });
}

}  // namespace mlws::store::sqlite
