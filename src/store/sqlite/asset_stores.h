// The SQL stores of the asset resources: the MLflow model registry (RegistryStore), versioned
// assets and datastores (AssetStore), over the SqliteStore's DbContext.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlws/store/asset_store.h"
#include "mlws/store/registry_store.h"
#include "store/sqlite/db_context.h"

namespace mlws::store::sqlite {

// RegistryStore over the shared context (registry_store.cc, registry_search.cc).
class SqliteRegistryStore final : public RegistryStore, private SqliteResourceStore {
 public:
  explicit SqliteRegistryStore(DbContext& ctx) : SqliteResourceStore(ctx) {}

  StatusOr<assets::RegisteredModel> CreateRegisteredModel(
      std::int64_t ws, const std::string& name, const std::string& description,
      const std::vector<tracking::KeyValue>& tags) override;
  StatusOr<assets::RegisteredModel> GetRegisteredModel(std::int64_t ws,
                                                       const std::string& name) override;
  StatusOr<assets::RegisteredModel> RenameRegisteredModel(std::int64_t ws, const std::string& name,
                                                          const std::string& new_name) override;
  StatusOr<assets::RegisteredModel> UpdateRegisteredModel(std::int64_t ws, const std::string& name,
                                                          const std::string& description) override;
  Status DeleteRegisteredModel(std::int64_t ws, const std::string& name) override;
  StatusOr<std::vector<assets::RegisteredModel>> SearchRegisteredModels(
      const RegistryQuery& q) override;
  Status SetRegisteredModelTag(std::int64_t ws, const std::string& name,
                               const tracking::KeyValue& tag) override;
  Status DeleteRegisteredModelTag(std::int64_t ws, const std::string& name,
                                  const std::string& key) override;
  Status SetAlias(std::int64_t ws, const std::string& name, const std::string& alias,
                  std::int64_t version) override;
  Status DeleteAlias(std::int64_t ws, const std::string& name, const std::string& alias) override;
  StatusOr<assets::ModelVersion> GetVersionByAlias(std::int64_t ws, const std::string& name,
                                                   const std::string& alias) override;
  StatusOr<assets::ModelVersion> CreateModelVersion(std::int64_t ws,
                                                    const assets::ModelVersion& v) override;
  StatusOr<assets::ModelVersion> GetModelVersion(std::int64_t ws, const std::string& name,
                                                 std::int64_t version) override;
  StatusOr<assets::ModelVersion> UpdateModelVersion(std::int64_t ws, const std::string& name,
                                                    std::int64_t version,
                                                    const std::string& description) override;
  Status DeleteModelVersion(std::int64_t ws, const std::string& name,
                            std::int64_t version) override;
  StatusOr<assets::ModelVersion> TransitionStage(std::int64_t ws, const std::string& name,
                                                 std::int64_t version, const std::string& stage,
                                                 bool archive_existing) override;
  StatusOr<std::vector<assets::ModelVersion>> SearchModelVersions(const RegistryQuery& q) override;
  Status SetModelVersionTag(std::int64_t ws, const std::string& name, std::int64_t version,
                            const tracking::KeyValue& tag) override;
  Status DeleteModelVersionTag(std::int64_t ws, const std::string& name, std::int64_t version,
                               const std::string& key) override;

  // The writer-side half of CreateModelVersion, for Atomically too (sql_tx.cc).
  static StatusOr<assets::ModelVersion> CreateModelVersionRow(Db& db, std::int64_t ws,
                                                              const assets::ModelVersion& v);
};

// AssetStore over the shared context (asset_store.cc, datastore_store.cc).
class SqliteAssetStore final : public AssetStore, private SqliteResourceStore {
 public:
  explicit SqliteAssetStore(DbContext& ctx) : SqliteResourceStore(ctx) {}

  StatusOr<assets::Asset> CreateAsset(std::int64_t ws, const assets::Asset& a) override;
  StatusOr<assets::Asset> GetAsset(std::int64_t ws, assets::AssetKind kind, const std::string& name,
                                   const std::string& version) override;
  StatusOr<assets::Asset> GetLatestAsset(std::int64_t ws, assets::AssetKind kind,
                                         const std::string& name) override;
  StatusOr<std::vector<assets::Asset>> ListAssets(const AssetQuery& q) override;
  StatusOr<std::vector<std::string>> AssetVersions(std::int64_t ws, assets::AssetKind kind,
                                                   const std::string& name) override;
  StatusOr<assets::Asset> UpdateAsset(std::int64_t ws, const assets::Asset& a) override;
  Status DeleteAsset(std::int64_t ws, assets::AssetKind kind, const std::string& name,
                     const std::string& version) override;
  StatusOr<std::int64_t> CountContentRefs(std::int64_t ws, const std::string& hash) override;
  Status RecordAssetInput(std::int64_t ws, const std::string& run_id, assets::AssetKind kind,
                          const std::string& name, const std::string& version) override;
  StatusOr<std::vector<std::string>> RunsUsingAsset(std::int64_t ws, assets::AssetKind kind,
                                                    const std::string& name,
                                                    const std::string& version) override;
  StatusOr<std::vector<assets::Asset>> AssetInputsOfRun(std::int64_t ws,
                                                        const std::string& run_id) override;
  StatusOr<std::vector<assets::Asset>> AssetsProducedByRun(std::int64_t ws,
                                                           const std::string& run_id) override;
  StatusOr<assets::Datastore> CreateDatastore(std::int64_t ws, const assets::Datastore& d) override;
  StatusOr<assets::Datastore> GetDatastore(std::int64_t ws, const std::string& name) override;
  StatusOr<std::vector<assets::Datastore>> ListDatastores(std::int64_t ws) override;
  Status DeleteDatastore(std::int64_t ws, const std::string& name) override;

  // The writer-side halves of CreateAsset, UpdateAsset and of Atomically's asset reads (sql_tx.cc);
  // `db` is the writer's connection inside a write task.
  static StatusOr<assets::Asset> CreateAssetRow(Db& db, std::int64_t ws, const assets::Asset& a);
  static Status UpdateAssetRow(Db& db, std::int64_t ws, const assets::Asset& a);
  static StatusOr<assets::Asset> LockAssetRow(Db& db, std::int64_t ws, assets::AssetKind kind,
                                              const std::string& name, const std::string& version);
};

}  // namespace mlws::store::sqlite
