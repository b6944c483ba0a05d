// SqlTx: the Tx of MetadataStore::Atomically over the writer's connection, inside one write task
// (so inside the writer's transaction). See include/mlws/store/transaction.h for the guarantee.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "mlws/store/transaction.h"
#include "store/sqlite/db.h"

namespace mlws::store::sqlite {

class SqliteDocumentStore;

class SqlTx final : public Tx {
 public:
  // `documents` names the store's table of each collection.
  using DocumentTables = std::function<SqliteDocumentStore&(Documents)>;
  SqlTx(Db& db, DocumentTables documents) : db_(db), documents_(std::move(documents)) {}

  StatusOr<tracking::Run> LockRun(std::int64_t workspace_id, const std::string& run_id) override;
  Status SetRunTags(std::int64_t workspace_id, const std::string& run_id,
                    const std::vector<tracking::KeyValue>& tags) override;
  StatusOr<assets::Asset> LockAsset(std::int64_t workspace_id, assets::AssetKind kind,
                                    const std::string& name, const std::string& version) override;
  StatusOr<assets::Asset> UpdateAsset(std::int64_t workspace_id, const assets::Asset& a) override;
  StatusOr<assets::Asset> CreateAsset(std::int64_t workspace_id, const assets::Asset& a) override;
  StatusOr<assets::ModelVersion> CreateModelVersion(std::int64_t workspace_id,
                                                    const assets::ModelVersion& v) override;
  StatusOr<std::optional<DocumentRecord>> LockDocument(Documents which, std::int64_t workspace_id,
                                                       const std::string& id) override;
  StatusOr<std::vector<DocumentRecord>> ListDocuments(Documents which,
                                                      std::int64_t workspace_id) override;
  Status PutDocument(Documents which, std::int64_t workspace_id, const DocumentRecord& d) override;
  Status DeleteDocument(Documents which, std::int64_t workspace_id, const std::string& id) override;

 private:
  Db& db_;
  DocumentTables documents_;
};

}  // namespace mlws::store::sqlite
