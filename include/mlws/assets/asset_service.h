// AssetService: versioned model, data, environment and component assets, datastores, uploads
// and Azure ML style references. Validation lives here (names, versions, spec fields); the
// AssetStore only persists. Thread-safe.
//
// Specs arrive as JSON objects with Azure ML's YAML field names (the CLI converts YAML and
// uploads local paths first, replacing them by azureml://datastores/<default>/paths/
// LocalUpload/<hash>/<name>). Unknown fields are InvalidArgument naming the field.
//
// References (Resolve):
//   azureml:<name>:<version>   azureml:<name>@latest   <name>:<version>   <name>@latest   <name>
//   azureml://registries/<reg>/{models,data,environments,components}/<name>/versions/<v>
//   azureml://registries/<reg>/{…}/<name>/labels/latest
//   azureml://locations/<loc>/workspaces/<ws>/{…}/<name>/versions/<v> (the workspace part is
//   ignored)
// The built-in registry "azureml" holds the curated environments (e.g. sklearn-1.5) defined as
// ordinary environment specs; "AzureML-<name>" names in the workspace resolve to them too.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mlws/artifacts/storage_quota.h"
#include "mlws/assets/asset.h"
#include "mlws/assets/datastore_io.h"
#include "mlws/assets/environment_builder.h"
#include "mlws/assets/registry_service.h"
#include "mlws/assets/snapshot.h"
#include "mlws/auth/entities.h"
#include "mlws/common/status.h"
#include "mlws/registries/registry_directory.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::assets {

struct AssetPaths {
  // The artifact store's folder: each workspace's default datastore "workspaceblobstore" is
  // <artifacts_root>/<workspace id>/datastores/workspaceblobstore (so its files are also served
  // by the MLflow artifact proxy as mlflow-artifacts:/datastores/workspaceblobstore/…).
  std::string artifacts_root;
  // Local datastores created by users must lie under one of these folders.
  std::vector<std::string> allowed_local_roots;
  // Uploads count against their workspace's storage quota (null: no quota). Not owned.
  artifacts::StorageQuota* quota = nullptr;
  // When set (an s3:// artifacts destination), each workspace's default datastore is in this
  // store under <workspace id>/datastores/workspaceblobstore/, not in artifacts_root.
  std::shared_ptr<artifacts::BlobStore> workspace_blobs;
  // Reads a workspace's secret (S3 datastores' credentials_secret); null: S3 datastores sign
  // with the server's AWS_* variables only.
  std::function<StatusOr<std::string>(std::int64_t, const std::string&)> read_secret;
};

struct AssetListOptions {
  std::optional<std::string> name;
  bool all_versions = false;
  bool include_archived = false;
};

struct AssetUpdate {
  std::optional<std::string> description;
  std::optional<std::map<std::string, std::string>> tags;
};

struct AssetLineage {
  std::optional<RunRef> produced_by_run;
  std::vector<RunRef> used_by_runs;
};

struct DatastoreFile {
  std::string path;  // relative to the listed folder; "" when the listed path is this file
  bool is_dir = false;
  std::int64_t size = 0;
};

inline constexpr const char* kDefaultDatastore = "workspaceblobstore";
inline constexpr const char* kUploadFolder = "LocalUpload";

// azureml://datastores/workspaceblobstore/paths/LocalUpload/<hash>: where upload `hash` lives.
inline std::string UploadUri(const std::string& hash) {
  return std::string("azureml://datastores/") + kDefaultDatastore + "/paths/" + kUploadFolder +
         "/" + hash;
}

class AssetService {
 public:
  // `environments` (may be null: builds are then unavailable) turns environments into venvs.
  AssetService(store::MetadataStore& store, tracking::TrackingService& tracking,
               RegistryService& registry, AssetPaths paths,
               EnvironmentBuilder* environments = nullptr);

  // Registries (not owned; null: only the curated environments of "azureml" resolve). Set once
  // at start, before requests.
  void SetRegistries(registries::RegistryDirectory* registries) { registries_ = registries; }

  // Creates a new version. Without "version" in the spec: 1 + the highest integer version (or
  // "1"). A model is also registered in the MLflow registry under the same name and version.
  StatusOr<Asset> Create(const std::string& ws, AssetKind kind, const std::string& spec_json,
                         const std::string& user, const std::string& source_run_id = "");
  // ref: name (latest), name:version, name@latest, or any reference form above.
  StatusOr<Asset> Get(const std::string& ws, AssetKind kind, const std::string& ref);
  StatusOr<std::vector<Asset>> List(const std::string& ws, AssetKind kind,
                                    const AssetListOptions& opt);
  StatusOr<Asset> Update(const std::string& ws, AssetKind kind, const std::string& name,
                         const std::string& version, const AssetUpdate& update);
  StatusOr<Asset> SetArchived(const std::string& ws, AssetKind kind, const std::string& name,
                              const std::string& version, bool archived);
  // Deletes the version; uploaded files no other version references are removed.
  Status Delete(const std::string& ws, AssetKind kind, const std::string& name,
                const std::string& version);
  // Resolves a reference (see the top of this file) to an asset version.
  StatusOr<Asset> Resolve(const std::string& ws, AssetKind kind, const std::string& reference);

  // Builds (or finds) the virtualenv of an environment version (any reference form); blocks
  // until it is ready. The build context of a `build:` environment is read from its datastore.
  StatusOr<BuiltEnvironment> BuildEnvironment(const std::string& ws, const std::string& reference);
  // The build log of the environment with requirements hash `hash`.
  StatusOr<std::string> EnvironmentBuildLog(const std::string& hash);

  // Lineage.
  Status RecordRunInput(const std::string& ws, const std::string& run_id, const Asset& asset);
  StatusOr<AssetLineage> Lineage(const std::string& ws, AssetKind kind, const std::string& name,
                                 const std::string& version);
  StatusOr<std::vector<Asset>> RunInputs(const std::string& ws, const std::string& run_id);
  StatusOr<std::vector<Asset>> RunOutputs(const std::string& ws, const std::string& run_id);

  // Uploads (content-addressed, per workspace, in the default datastore's LocalUpload/<hash>).
  StatusOr<bool> HasUpload(const std::string& ws, const std::string& hash);
  // Unpacks the staged tar+zstd archive, verifies it hashes to `hash`, moves it into place.
  // Idempotent: an existing upload of the same hash is kept and the archive discarded.
  StatusOr<SnapshotInfo> AcceptUpload(const std::string& ws, const std::string& hash,
                                      const std::string& staged_archive);

  // Datastores ("workspaceblobstore" exists in every workspace and is the default until another
  // is made default).
  StatusOr<Datastore> CreateDatastore(const std::string& ws, const std::string& spec_json,
                                      const std::string& user);
  StatusOr<Datastore> GetDatastore(const std::string& ws, const std::string& name);
  StatusOr<std::vector<Datastore>> ListDatastores(const std::string& ws);
  Status DeleteDatastore(const std::string& ws, const std::string& name);
  // azureml://datastores/<ds>/paths/<p> -> where its bytes are (datastore_io.h): a local path
  // for local datastores (checked to stay inside the datastore's folder), a blob store and key
  // for S3 datastores (signed with the vault's credentials) and for the default datastore on
  // an s3:// destination. The path need not exist. An S3 endpoint that does not answer is
  // InvalidParameterValue naming the datastore (its configuration is at fault).
  StatusOr<DatastoreLocation> Locate(const std::string& ws, const std::string& datastore_uri);
  // Locate() for callers that need a folder on this machine: InvalidParameterValue for paths
  // that are in a blob store.
  StatusOr<std::string> LocalPath(const std::string& ws, const std::string& datastore_uri);
  StatusOr<std::vector<DatastoreFile>> ListDatastoreFiles(const std::string& ws,
                                                          const std::string& datastore,
                                                          const std::string& path);

 private:
  // Where upload `hash` is (InvalidArgument unless it is a content hash).
  StatusOr<DatastoreLocation> UploadDir(const std::string& ws, const std::string& hash);
  // An S3 datastore's bucket (and prefix) as a blob store, with its vault credentials.
  StatusOr<std::shared_ptr<artifacts::BlobStore>> OpenS3Datastore(std::int64_t wid,
                                                                  const Datastore& d);

  store::MetadataStore& store_;
  tracking::TrackingService& tracking_;
  RegistryService& registry_;
  AssetPaths paths_;
  EnvironmentBuilder* environments_;
  registries::RegistryDirectory* registries_ = nullptr;
};

}  // namespace mlws::assets
