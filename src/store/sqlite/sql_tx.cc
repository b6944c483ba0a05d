#include "store/sqlite/sql_tx.h"

#include "store/sqlite/asset_stores.h"
#include "store/sqlite/mlflow3_stores.h"
#include "store/sqlite/tracking_stores.h"

namespace mlws::store::sqlite {

// SQLite: the writer already holds the database's write lock, so a plain read is enough.
// PostgreSQL: the row lock makes another server's LockRun of this run wait for our commit.
StatusOr<tracking::Run> SqlTx::LockRun(std::int64_t workspace_id, const std::string& run_id) {
  ASSIGN_OR_RETURN(SqliteRunStore::RunRef ref,
                   SqliteRunStore::ResolveRun(db_, workspace_id, run_id, /*require_active=*/true));
  if (db_.dialect() == Dialect::kPostgres) {
    ASSIGN_OR_RETURN(Stmt * s,
                     db_.Cached("SELECT rowid FROM runs WHERE rowid = ? FOR NO KEY UPDATE"));
    s->Bind(1, ref.rowid);
    ASSIGN_OR_RETURN(bool row, s->Step());
    s->Reset();
    if (!row) return NotFound("Run with id=" + run_id + " not found");
  }
  return SqliteRunStore::LoadRun(db_, ref.rowid);
}

Status SqlTx::SetRunTags(std::int64_t workspace_id, const std::string& run_id,
                         const std::vector<tracking::KeyValue>& tags) {
  ASSIGN_OR_RETURN(SqliteRunStore::RunRef ref,
                   SqliteRunStore::ResolveRun(db_, workspace_id, run_id, /*require_active=*/true));
  return SqliteRunStore::WriteRunTags(db_, ref.rowid, tags);
}

StatusOr<assets::Asset> SqlTx::LockAsset(std::int64_t workspace_id, assets::AssetKind kind,
                                         const std::string& name, const std::string& version) {
  return SqliteAssetStore::LockAssetRow(db_, workspace_id, kind, name, version);
}

StatusOr<assets::Asset> SqlTx::UpdateAsset(std::int64_t workspace_id, const assets::Asset& a) {
  RETURN_IF_ERROR(SqliteAssetStore::UpdateAssetRow(db_, workspace_id, a));
  return SqliteAssetStore::LockAssetRow(db_, workspace_id, a.kind, a.name, a.version);
}

StatusOr<assets::Asset> SqlTx::CreateAsset(std::int64_t workspace_id, const assets::Asset& a) {
  return SqliteAssetStore::CreateAssetRow(db_, workspace_id, a);
}

StatusOr<assets::ModelVersion> SqlTx::CreateModelVersion(std::int64_t workspace_id,
                                                         const assets::ModelVersion& v) {
  return SqliteRegistryStore::CreateModelVersionRow(db_, workspace_id, v);
}

StatusOr<std::optional<DocumentRecord>> SqlTx::LockDocument(Documents which,
                                                            std::int64_t workspace_id,
                                                            const std::string& id) {
  return documents_(which).LockRow(db_, workspace_id, id);
}

StatusOr<std::vector<DocumentRecord>> SqlTx::ListDocuments(Documents which,
                                                           std::int64_t workspace_id) {
  return documents_(which).ListRows(db_, workspace_id);
}

Status SqlTx::PutDocument(Documents which, std::int64_t workspace_id, const DocumentRecord& d) {
  return documents_(which).PutRow(db_, workspace_id, d);
}

Status SqlTx::DeleteDocument(Documents which, std::int64_t workspace_id, const std::string& id) {
  return documents_(which).DeleteRow(db_, workspace_id, id);
}

}  // namespace mlws::store::sqlite
