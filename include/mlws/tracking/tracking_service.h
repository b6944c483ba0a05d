// TrackingService: the service layer of workspaces, experiments, runs, metrics and traces.
// Validation happens here, once; the store only persists; handlers only parse and render.
//
// Thread-safe. Every call names its workspace by name; an unknown workspace is NotFound.
// Errors carry MLflow's codes and messages (see mlflow-rest.md §2, §3).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/entities.h"

namespace mlws::tracking {

struct ExperimentsPage {
  std::vector<Experiment> experiments;
  std::string next_page_token;
};

struct RunsPage {
  std::vector<Run> runs;
  std::string next_page_token;
};

struct MetricHistoryPage {
  std::vector<MetricPoint> points;
  std::string next_page_token;
};

struct TracesPage {
  std::vector<TraceInfo> traces;
  std::string next_page_token;
};

struct SearchRunsRequest {
  std::vector<std::string> experiment_ids;
  std::string filter;
  ViewType view = ViewType::kActiveOnly;
  std::int64_t max_results = 1000;
  std::vector<std::string> order_by;
  std::string page_token;
};

struct SearchExperimentsRequest {
  std::string filter;
  ViewType view = ViewType::kActiveOnly;
  std::int64_t max_results = 1000;
  std::vector<std::string> order_by;
  std::string page_token;
};

struct CreateRunRequest {
  std::string experiment_id;
  std::string user_id;
  std::string run_name;
  std::optional<std::int64_t> start_time;
  std::vector<KeyValue> tags;
};

struct SearchTracesRequest {
  std::vector<std::string> experiment_ids;
  std::string filter;
  std::int64_t max_results = 100;
  std::vector<std::string> order_by;
  std::string page_token;
};

class TrackingService {
 public:
  explicit TrackingService(store::MetadataStore& store) : store_(store) {}

  // Creates the "default" workspace if missing (first start).
  Status EnsureDefaultWorkspace();

  StatusOr<Workspace> CreateWorkspace(const std::string& name, const std::string& description);
  StatusOr<Workspace> GetWorkspace(const std::string& name);
  StatusOr<std::vector<Workspace>> ListWorkspaces();
  Status DeleteWorkspace(const std::string& name);

  StatusOr<Experiment> CreateExperiment(const std::string& ws, const std::string& name,
                                        const std::string& artifact_location,
                                        const std::vector<KeyValue>& tags);
  StatusOr<Experiment> GetExperiment(const std::string& ws, const std::string& id);
  StatusOr<Experiment> GetExperimentByName(const std::string& ws, const std::string& name);
  StatusOr<ExperimentsPage> SearchExperiments(const std::string& ws,
                                              const SearchExperimentsRequest& req);
  Status RenameExperiment(const std::string& ws, const std::string& id,
                          const std::string& new_name);
  Status DeleteExperiment(const std::string& ws, const std::string& id);
  Status RestoreExperiment(const std::string& ws, const std::string& id);
  Status SetExperimentTag(const std::string& ws, const std::string& id, const KeyValue& tag);
  Status DeleteExperimentTag(const std::string& ws, const std::string& id, const std::string& key);

  StatusOr<Run> CreateRun(const std::string& ws, CreateRunRequest req);
  StatusOr<Run> GetRun(const std::string& ws, const std::string& run_id);
  StatusOr<RunInfo> UpdateRun(const std::string& ws, const std::string& run_id,
                              const store::RunUpdate& update);
  Status DeleteRun(const std::string& ws, const std::string& run_id);
  Status RestoreRun(const std::string& ws, const std::string& run_id);
  Status LogBatch(const std::string& ws, const std::string& run_id,
                  const std::vector<Metric>& metrics, const std::vector<KeyValue>& params,
                  const std::vector<KeyValue>& tags);
  Status DeleteTag(const std::string& ws, const std::string& run_id, const std::string& key);
  Status LogInputs(const std::string& ws, const std::string& run_id,
                   const std::vector<DatasetInput>& inputs);
  // Appends `model_json` to the run's "mlflow.log-model.history" tag, as MLflow does; read and
  // write in one store transaction, so concurrent calls on one run each keep their entry.
  Status LogModel(const std::string& ws, const std::string& run_id, const std::string& model_json);
  StatusOr<RunsPage> SearchRuns(const std::string& ws, const SearchRunsRequest& req);
  StatusOr<std::vector<MetricPoint>> GetMetricHistory(const std::string& ws,
                                                      const std::string& run_id,
                                                      const std::string& key);
  // The whole history through a cursor (bounded memory however long it is); NotFound for an
  // unknown run before any point is read.
  StatusOr<std::unique_ptr<store::MetricHistoryCursor>> OpenMetricHistory(const std::string& ws,
                                                                          const std::string& run_id,
                                                                          const std::string& key);
  // One page of a metric's history, at most `max_results` points (default and ceiling
  // kMaxHistoryPage), so a response's size is bounded however long the history is; clients
  // follow `next_page_token` (MLflow's client does).
  StatusOr<MetricHistoryPage> GetMetricHistoryPage(const std::string& ws, const std::string& run_id,
                                                   const std::string& key,
                                                   const std::string& page_token,
                                                   std::optional<std::int64_t> max_results);

  StatusOr<TraceInfo> StartTrace(const std::string& ws, TraceInfo info);
  StatusOr<TraceInfo> EndTrace(const std::string& ws, const TraceInfo& update);
  StatusOr<TraceInfo> GetTraceInfo(const std::string& ws, const std::string& request_id);
  StatusOr<TracesPage> SearchTraces(const std::string& ws, const SearchTracesRequest& req);
  StatusOr<std::int64_t> DeleteTraces(const std::string& ws, store::TraceDelete req);
  Status SetTraceTag(const std::string& ws, const std::string& request_id, const KeyValue& tag);
  Status DeleteTraceTag(const std::string& ws, const std::string& request_id,
                        const std::string& key);

  StatusOr<std::int64_t> WorkspaceId(const std::string& ws);

 private:
  store::MetadataStore& store_;
  std::mutex mu_;
  // Workspace name -> (id, when looked up). Kept 2 s: a workspace deleted and made again
  // through another server sharing the database gets a new id (docs/scale-out.md).
  std::map<std::string, std::pair<std::int64_t, std::chrono::steady_clock::time_point>>
      workspace_ids_;  // guarded by mu_
};

// The most points one get-history response carries (~7 MB of JSON).
inline constexpr std::int64_t kMaxHistoryPage = 100'000;

// Page tokens: base64 of {"offset": N}, as MLflow's SQL store writes them.
std::string EncodePageToken(std::int64_t offset);
StatusOr<std::int64_t> DecodePageToken(const std::string& token);

}  // namespace mlws::tracking
