// SqlTx: the Tx of MetadataStore::Atomically over the writer's connection, inside one write task
// (so inside the writer's transaction). See include/mlws/store/transaction.h for the guarantee.
#pragma once

#include <string>
#include <vector>

#include "mlws/store/transaction.h"
#include "store/sqlite/db.h"

namespace mlws::store::sqlite {

class SqlTx final : public Tx {
 public:
  explicit SqlTx(Db& db) : db_(db) {}

  StatusOr<tracking::Run> LockRun(std::int64_t workspace_id, const std::string& run_id) override;
  Status SetRunTags(std::int64_t workspace_id, const std::string& run_id,
                    const std::vector<tracking::KeyValue>& tags) override;
  StatusOr<assets::Asset> LockAsset(std::int64_t workspace_id, assets::AssetKind kind,
                                    const std::string& name, const std::string& version) override;
  StatusOr<assets::Asset> UpdateAsset(std::int64_t workspace_id, const assets::Asset& a) override;

 private:
  Db& db_;
};

}  // namespace mlws::store::sqlite
