// LoggedModelService: MLflow 3 logged models (service layer; validation lives here).
//
// A logged model is handled in its MLflow wire form (the LoggedModel JSON of service.proto:
// {"info": {...}, "data": {"params": [...], "metrics": [...]}}): that document is what the store
// keeps and what the handlers send, so there is one encoding, checked here. Artifacts are not
// stored here: a model's artifact_uri is "<experiment artifact location>/models/<id>/artifacts",
// which clients write and read through the artifact proxy like run artifacts.
//
// Thread-safe. Errors carry MLflow's codes: unknown experiment/model/run -> NotFound
// (RESOURCE_DOES_NOT_EXIST, 404); bad names, keys, statuses, filters -> InvalidArgument (400).
// Every write is one store transaction: a failed call changes nothing.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::tracking {

struct CreateLoggedModelRequest {
  std::string experiment_id;
  std::string name;  // empty: a generated name
  std::string model_type;
  std::string source_run_id;
  std::vector<KeyValue> params;
  std::vector<KeyValue> tags;
};

struct LoggedModelDataset {
  std::string name;
  std::optional<std::string> digest;
};

struct LoggedModelOrder {
  std::string field_name;
  bool ascending = true;
  std::optional<std::string> dataset_name;
  std::optional<std::string> dataset_digest;
};

struct SearchLoggedModelsRequest {
  std::vector<std::string> experiment_ids;
  std::string filter;
  std::vector<LoggedModelDataset> datasets;
  std::int64_t max_results = 100;
  std::vector<LoggedModelOrder> order_by;
  std::string page_token;
};

// A metric point linked to a model (log-metric / log-batch with model_id).
struct ModelMetric {
  std::string model_id;
  std::string run_id;
  Metric metric;
  std::string dataset_name;
  std::string dataset_digest;
};

inline constexpr std::int64_t kMaxSearchLoggedModelsResults = 50000;

class LoggedModelService {
 public:
  LoggedModelService(store::MetadataStore& store, TrackingService& tracking)
      : store_(store), tracking_(tracking) {}

  StatusOr<nlohmann::json> Create(const std::string& ws, const CreateLoggedModelRequest& req);
  StatusOr<nlohmann::json> Get(const std::string& ws, const std::string& model_id,
                               bool allow_deleted = false);
  // status: LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED (names or enum numbers 2/3).
  StatusOr<nlohmann::json> Finalize(const std::string& ws, const std::string& model_id,
                                    const std::string& status);
  Status Delete(const std::string& ws, const std::string& model_id);
  Status SetTags(const std::string& ws, const std::string& model_id,
                 const std::vector<KeyValue>& tags);
  Status DeleteTag(const std::string& ws, const std::string& model_id, const std::string& key);
  Status LogParams(const std::string& ws, const std::string& model_id,
                   const std::vector<KeyValue>& params);
  // {"models": [...], "next_page_token": "..."}.
  StatusOr<nlohmann::json> Search(const std::string& ws, const SearchLoggedModelsRequest& req);

  // NotFound unless every id names a live model of the workspace (checked before a run write
  // that links metrics to models, so a bad id changes nothing).
  Status CheckModels(const std::string& ws, const std::vector<std::string>& model_ids);
  Status LinkMetrics(const std::string& ws, const std::vector<ModelMetric>& metrics);
  // log-inputs (models the run used) / log-outputs (models it produced).
  Status LinkRun(const std::string& ws, const std::string& run_id,
                 const std::vector<store::RunModelLink>& links);
  // The run's {"inputs": {"model_inputs": [...]}, "outputs": {"model_outputs": [...]}} parts
  // (empty object when it has none), to merge into a Run's JSON.
  StatusOr<nlohmann::json> RunModelIo(const std::string& ws, const std::string& run_id);

 private:
  StatusOr<store::LoggedModelRecord> Mutate(const std::string& ws, const std::string& model_id,
                                            const std::function<Status(nlohmann::json& model)>& fn);

  store::MetadataStore& store_;
  TrackingService& tracking_;
};

}  // namespace mlws::tracking
