// AssetStore: persistence of versioned assets, datastores and asset lineage (which runs used
// which asset versions), scoped by workspace id. Thread-safe; writes durable on return.
// Errors: NotFound, AlreadyExists (duplicate name+version or datastore name), Internal.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlws/assets/asset.h"
#include "mlws/common/status.h"

namespace mlws::store {

struct AssetQuery {
  std::int64_t workspace_id = 0;
  assets::AssetKind kind = assets::AssetKind::kData;
  std::optional<std::string> name;  // only this name
  bool all_versions = false;        // false: the latest (highest seq) shown version per name
  bool include_archived = false;
};

class AssetStore {
 public:
  virtual ~AssetStore() = default;
  // Inserts with seq = 1 + the highest seq of that name. An empty version becomes 1 + the highest
  // integer version of that name (chosen in the same transaction); the result carries it.
  virtual StatusOr<assets::Asset> CreateAsset(std::int64_t ws, const assets::Asset& a) = 0;
  virtual StatusOr<assets::Asset> GetAsset(std::int64_t ws, assets::AssetKind kind,
                                           const std::string& name, const std::string& version) = 0;
  // The non-archived version with the highest seq.
  virtual StatusOr<assets::Asset> GetLatestAsset(std::int64_t ws, assets::AssetKind kind,
                                                 const std::string& name) = 0;
  // Sorted by name, then newest version first.
  virtual StatusOr<std::vector<assets::Asset>> ListAssets(const AssetQuery& q) = 0;
  // Every version of `name` (archived included), for version numbering.
  virtual StatusOr<std::vector<std::string>> AssetVersions(std::int64_t ws, assets::AssetKind kind,
                                                           const std::string& name) = 0;
  // Replaces description, tags and archived of an existing version.
  virtual StatusOr<assets::Asset> UpdateAsset(std::int64_t ws, const assets::Asset& a) = 0;
  virtual Status DeleteAsset(std::int64_t ws, assets::AssetKind kind, const std::string& name,
                             const std::string& version) = 0;
  // How many asset versions of any kind reference uploaded content `hash`.
  virtual StatusOr<std::int64_t> CountContentRefs(std::int64_t ws, const std::string& hash) = 0;

  // Lineage: run `run_id` used asset version (kind, name, version) as an input.
  virtual Status RecordAssetInput(std::int64_t ws, const std::string& run_id,
                                  assets::AssetKind kind, const std::string& name,
                                  const std::string& version) = 0;
  virtual StatusOr<std::vector<std::string>> RunsUsingAsset(std::int64_t ws, assets::AssetKind kind,
                                                            const std::string& name,
                                                            const std::string& version) = 0;
  virtual StatusOr<std::vector<assets::Asset>> AssetInputsOfRun(std::int64_t ws,
                                                                const std::string& run_id) = 0;
  virtual StatusOr<std::vector<assets::Asset>> AssetsProducedByRun(std::int64_t ws,
                                                                   const std::string& run_id) = 0;

  // Datastores. Setting is_default clears it on the others in the same transaction.
  virtual StatusOr<assets::Datastore> CreateDatastore(std::int64_t ws,
                                                      const assets::Datastore& d) = 0;
  virtual StatusOr<assets::Datastore> GetDatastore(std::int64_t ws, const std::string& name) = 0;
  virtual StatusOr<std::vector<assets::Datastore>> ListDatastores(std::int64_t ws) = 0;
  virtual Status DeleteDatastore(std::int64_t ws, const std::string& name) = 0;
};

}  // namespace mlws::store
