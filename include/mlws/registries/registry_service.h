// RegistryService: registries (Azure ML's asset collections shared across workspaces) and the
// movement of assets into them. Server-scope resources: create/list/show/delete from Azure ML's
// registry YAML (name, description, tags, location, replication_locations recorded, mlws's
// allow_cross_workspace_reuse setting). The built-in registry "azureml" is an ordinary registry,
// created at start with the curated environments; it is readable by every signed-in user.
//
// Assets in a registry are created through the AssetService in the registry's asset workspace
// (registry_directory.h). Files named by a spec that lie in a workspace (uploads, datastore
// paths) are copied once into the registry's storage through the BlobStore seam; lineage (the
// source workspace, asset and run) is recorded in the new version's properties.
//
// Storage: a registry's record (this Registry as JSON) is its asset workspace's description, so
// creating one is a single row and deleting it removes its assets with it.
//
// Permissions: registry-scope role assignments are workspace-scope assignments on the asset
// workspace (AuthService applies them to "registries/..." actions); Authorize* below check them.
//
// Thread-safe. Errors: InvalidArgument (bad spec), NotFound (unknown registry/asset),
// AlreadyExists (a registry or an asset version that exists: nothing is copied),
// PermissionDenied.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlws/artifacts/blob_store.h"
#include "mlws/assets/asset_service.h"
#include "mlws/auth/auth_service.h"
#include "mlws/registries/registry_directory.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::registries {

struct Registry {
  std::string name;
  std::string description;
  std::map<std::string, std::string> tags;
  std::string location;
  std::vector<std::string> replication_locations;
  // mlws: pipeline steps of this registry's components may be reused across workspaces.
  bool allow_cross_workspace_reuse = true;
  bool builtin = false;      // "azureml"
  bool public_read = false;  // readable by every signed-in user (the built-in registry)
  std::string spec_json;     // the registry spec as given (storage_config etc. kept)
  std::int64_t created_at = 0;
  std::string created_by;
};

// How a workspace asset becomes a registry asset (az ml <kind> share).
struct ShareRequest {
  std::string workspace;  // source
  assets::AssetKind kind = assets::AssetKind::kModel;
  std::string name;
  std::string version;
  std::string registry;
  std::string share_with_name;     // default: name
  std::string share_with_version;  // default: version
};

inline constexpr const char* kBuiltinRegistry = "azureml";

class RegistryService final : public RegistryDirectory {
 public:
  // `artifacts_root` is the AssetService's local artifacts folder (AssetPaths).
  RegistryService(store::MetadataStore& store, tracking::TrackingService& tracking,
                  auth::AuthService& auth, assets::AssetService& assets,
                  std::string artifacts_root);

  // Creates the built-in registry and its curated environments when missing.
  Status EnsureBuiltin();

  StatusOr<Registry> Create(const std::string& spec_json, const std::string& user);
  StatusOr<Registry> Get(const std::string& name);
  // The registries `who` may read.
  StatusOr<std::vector<Registry>> List(const auth::Principal& who);
  // Deletes the registry and every asset in it (not the built-in one).
  Status Delete(const std::string& name);

  // The asset workspace of `name` (NotFound for unknown registries), without permission checks.
  StatusOr<std::string> WorkspaceOf(const std::string& name);
  StatusOr<std::int64_t> WorkspaceIdOf(const std::string& name);
  // Whether `who` may perform `action` ("registries/...") in registry `name`.
  Status Authorize(const auth::Principal& who, const std::string& name, std::string_view action);

  // Creates an asset in the registry from a spec whose files may lie in workspace `from_ws`
  // (uploaded there by the CLI): they are copied into the registry first.
  StatusOr<assets::Asset> CreateAsset(const std::string& registry, assets::AssetKind kind,
                                      const std::string& spec_json, const std::string& from_ws,
                                      const std::string& user);
  StatusOr<assets::Asset> Share(const ShareRequest& r, const std::string& user);

  // RegistryDirectory.
  StatusOr<std::string> AssetWorkspace(const std::string& registry,
                                       assets::AssetKind kind) override;

 private:
  // A file or folder in workspace `ws` -> its URI in the registry's storage (copied once).
  StatusOr<std::string> CopyIn(const std::string& ws, const std::string& reg_ws,
                               const std::string& uri, const std::string& dest_folder);
  StatusOr<assets::Asset> CreateIn(const std::string& registry, assets::AssetKind kind,
                                   nlohmann::json spec, const std::string& from_ws,
                                   const std::string& user);

  store::MetadataStore& store_;
  tracking::TrackingService& tracking_;
  auth::AuthService& auth_;
  assets::AssetService& assets_;
  std::string artifacts_root_;
  std::unique_ptr<artifacts::BlobStore> blobs_;  // over artifacts_root_
};

}  // namespace mlws::registries
