// RegistryService: the MLflow model registry (mlflow-rest.md §4.2), validated here and persisted
// by the RegistryStore. A version created from a run records the run: lineage model -> run ->
// experiment. Thread-safe. Errors carry MLflow's codes and messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlws/assets/entities.h"
#include "mlws/common/status.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::assets {

struct RegisteredModelsPage {
  std::vector<RegisteredModel> models;
  std::string next_page_token;
};

struct ModelVersionsPage {
  std::vector<ModelVersion> versions;
  std::string next_page_token;
};

struct RegistrySearch {
  std::string filter;
  std::int64_t max_results = 100;
  std::vector<std::string> order_by;
  std::string page_token;
};

class RegistryService {
 public:
  RegistryService(store::MetadataStore& store, tracking::TrackingService& tracking)
      : store_(store), tracking_(tracking) {}

  StatusOr<RegisteredModel> CreateRegisteredModel(const std::string& ws, const std::string& name,
                                                  const std::string& description,
                                                  const std::vector<tracking::KeyValue>& tags);
  StatusOr<RegisteredModel> GetRegisteredModel(const std::string& ws, const std::string& name);
  StatusOr<RegisteredModel> RenameRegisteredModel(const std::string& ws, const std::string& name,
                                                  const std::string& new_name);
  StatusOr<RegisteredModel> UpdateRegisteredModel(const std::string& ws, const std::string& name,
                                                  const std::string& description);
  Status DeleteRegisteredModel(const std::string& ws, const std::string& name);
  StatusOr<RegisteredModelsPage> SearchRegisteredModels(const std::string& ws,
                                                        const RegistrySearch& req);
  // The latest version in each of `stages` (all stages when empty), ordered by version.
  StatusOr<std::vector<ModelVersion>> GetLatestVersions(const std::string& ws,
                                                        const std::string& name,
                                                        const std::vector<std::string>& stages);
  Status SetRegisteredModelTag(const std::string& ws, const std::string& name,
                               const tracking::KeyValue& tag);
  Status DeleteRegisteredModelTag(const std::string& ws, const std::string& name,
                                  const std::string& key);
  Status SetAlias(const std::string& ws, const std::string& name, const std::string& alias,
                  const std::string& version);
  Status DeleteAlias(const std::string& ws, const std::string& name, const std::string& alias);
  StatusOr<ModelVersion> GetVersionByAlias(const std::string& ws, const std::string& name,
                                           const std::string& alias);

  StatusOr<ModelVersion> CreateModelVersion(const std::string& ws, ModelVersion v);
  // What CreateModelVersion checks before writing (name, source, tags, the run), for a caller
  // that writes the version inside its own transaction (AssetService::Create).
  Status CheckNewModelVersion(const std::string& ws, const ModelVersion& v);
  StatusOr<ModelVersion> GetModelVersion(const std::string& ws, const std::string& name,
                                         const std::string& version);
  StatusOr<ModelVersion> UpdateModelVersion(const std::string& ws, const std::string& name,
                                            const std::string& version,
                                            const std::string& description);
  Status DeleteModelVersion(const std::string& ws, const std::string& name,
                            const std::string& version);
  StatusOr<ModelVersion> TransitionStage(const std::string& ws, const std::string& name,
                                         const std::string& version, const std::string& stage,
                                         bool archive_existing);
  StatusOr<ModelVersionsPage> SearchModelVersions(const std::string& ws, const RegistrySearch& req);
  Status SetModelVersionTag(const std::string& ws, const std::string& name,
                            const std::string& version, const tracking::KeyValue& tag);
  Status DeleteModelVersionTag(const std::string& ws, const std::string& name,
                               const std::string& version, const std::string& key);

 private:
  StatusOr<store::RegistryQuery> BuildQuery(const std::string& ws, const RegistrySearch& req,
                                            bool model_versions);

  store::MetadataStore& store_;
  tracking::TrackingService& tracking_;
};

// "none", "STAGING", ... -> the canonical stage name; InvalidArgument otherwise.
StatusOr<std::string> CanonicalStage(std::string_view stage);

}  // namespace mlws::assets
