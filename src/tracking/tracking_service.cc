#include "mlws/tracking/tracking_service.h"

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "mlws/common/ids.h"
#include "mlws/common/json.h"
#include "mlws/tracking/metric_observer.h"
#include "mlws/tracking/search_filter.h"
#include "mlws/tracking/validation.h"

namespace mlws::tracking {

namespace {
constexpr const char* kDefaultWorkspace = "default";
}

StatusOr<std::int64_t> TrackingService::WorkspaceId(const std::string& ws) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = workspace_ids_.find(ws);
    if (it != workspace_ids_.end() &&
        std::chrono::steady_clock::now() - it->second.second < std::chrono::seconds(2)) {
      return it->second.first;
    }
  }
  ASSIGN_OR_RETURN(Workspace w, store_.workspaces().GetWorkspace(ws));
  std::lock_guard<std::mutex> lock(mu_);
  workspace_ids_[ws] = {w.id, std::chrono::steady_clock::now()};
  return w.id;
}

Status TrackingService::EnsureDefaultWorkspace() {
  auto w = store_.workspaces().GetWorkspace(kDefaultWorkspace);
  if (w.ok()) return Status::Ok();
  if (w.status().code() != ErrorCode::kResourceDoesNotExist) return w.status();
  auto created = store_.workspaces().CreateWorkspace(kDefaultWorkspace, "The default workspace");
  if (!created.ok() && created.status().code() != ErrorCode::kResourceAlreadyExists) {
    return created.status();
  }
  return Status::Ok();
}

StatusOr<Workspace> TrackingService::CreateWorkspace(const std::string& name,
                                                     const std::string& description) {
  RETURN_IF_ERROR(ValidateWorkspaceName(name));
  if (description.size() > 5000) return InvalidArgument("Workspace description longer than 5000");
  return store_.workspaces().CreateWorkspace(name, description);
}

StatusOr<Workspace> TrackingService::GetWorkspace(const std::string& name) {
  return store_.workspaces().GetWorkspace(name);
}

StatusOr<std::vector<Workspace>> TrackingService::ListWorkspaces() {
  return store_.workspaces().ListWorkspaces();
}

Status TrackingService::DeleteWorkspace(const std::string& name) {
  if (name == kDefaultWorkspace) return InvalidArgument("The default workspace cannot be deleted.");
  RETURN_IF_ERROR(store_.workspaces().DeleteWorkspace(name));
  std::lock_guard<std::mutex> lock(mu_);
  workspace_ids_.erase(name);
  return Status::Ok();
}

// ---- experiments ----

StatusOr<Experiment> TrackingService::CreateExperiment(const std::string& ws,
                                                       const std::string& name,
                                                       const std::string& artifact_location,
                                                       const std::vector<KeyValue>& tags) {
  RETURN_IF_ERROR(ValidateExperimentName(name));
  for (const auto& t : tags) RETURN_IF_ERROR(ValidateExperimentTag(t));
  if (!artifact_location.empty() && artifact_location.find("..") != std::string::npos) {
    return InvalidArgument("artifact_location must not contain '..'");
  }
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  std::string location = artifact_location.empty() ? "mlflow-artifacts:/{id}" : artifact_location;
  return store_.experiments().CreateExperiment(wid, name, location, tags);
}

StatusOr<Experiment> TrackingService::GetExperiment(const std::string& ws, const std::string& id) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.experiments().GetExperiment(wid, id);
}

StatusOr<Experiment> TrackingService::GetExperimentByName(const std::string& ws,
                                                          const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.experiments().GetExperimentByName(wid, name);
}

StatusOr<ExperimentsPage> TrackingService::SearchExperiments(const std::string& ws,
                                                             const SearchExperimentsRequest& req) {
  if (req.max_results < 1 || req.max_results > kMaxSearchExperimentsResults) {
    return InvalidArgument(
        fmt::format("Invalid value {} for parameter 'max_results' supplied. It must be at most {}",
                    req.max_results, kMaxSearchExperimentsResults));
  }
  store::ExperimentQuery q;
  ASSIGN_OR_RETURN(q.workspace_id, WorkspaceId(ws));
  ASSIGN_OR_RETURN(q.filter, ParseExperimentFilter(req.filter));
  for (const auto& o : req.order_by) {
    ASSIGN_OR_RETURN(OrderBy ob, ParseExperimentOrderBy(o));
    q.order_by.push_back(std::move(ob));
  }
  q.view = req.view;
  ASSIGN_OR_RETURN(q.offset, DecodePageToken(req.page_token));
  q.limit = req.max_results;
  ASSIGN_OR_RETURN(store::ExperimentPage page, store_.experiments().SearchExperiments(q));
  ExperimentsPage out;
  out.experiments = std::move(page.experiments);
  if (page.has_more) out.next_page_token = EncodePageToken(q.offset + q.limit);
  return out;
}

Status TrackingService::RenameExperiment(const std::string& ws, const std::string& id,
                                         const std::string& new_name) {
  RETURN_IF_ERROR(ValidateExperimentName(new_name));
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.experiments().RenameExperiment(wid, id, new_name);
}

Status TrackingService::DeleteExperiment(const std::string& ws, const std::string& id) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.experiments().SetExperimentLifecycle(wid, id, LifecycleStage::kDeleted);
}

Status TrackingService::RestoreExperiment(const std::string& ws, const std::string& id) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.experiments().SetExperimentLifecycle(wid, id, LifecycleStage::kActive);
}

Status TrackingService::SetExperimentTag(const std::string& ws, const std::string& id,
                                         const KeyValue& tag) {
  RETURN_IF_ERROR(ValidateExperimentTag(tag));
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.experiments().SetExperimentTag(wid, id, tag);
}

Status TrackingService::DeleteExperimentTag(const std::string& ws, const std::string& id,
                                            const std::string& key) {
  RETURN_IF_ERROR(ValidateEntityKey("tag", key));
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.experiments().DeleteExperimentTag(wid, id, key);
}

// ---- runs ----

StatusOr<Run> TrackingService::CreateRun(const std::string& ws, CreateRunRequest req) {
  for (const auto& t : req.tags) RETURN_IF_ERROR(ValidateTag(t));
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  std::string tag_name;
  for (const auto& t : req.tags) {
    if (t.key == "mlflow.runName") tag_name = t.value;
  }
  if (!req.run_name.empty() && !tag_name.empty() && req.run_name != tag_name) {
    return InvalidArgument(fmt::format(
        "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different "
        "values (run_name='{}', mlflow.runName='{}').",
        req.run_name, tag_name));
  }
  std::string name = !req.run_name.empty() ? req.run_name : tag_name;
  if (name.empty()) name = NewRunName();
  store::NewRun nr;
  nr.workspace_id = wid;
  nr.experiment_id = req.experiment_id.empty() ? "0" : req.experiment_id;
  nr.run_id = NewRunId();
  nr.run_name = name;
  nr.user_id = req.user_id;
  nr.start_time = req.start_time.value_or(NowMillis());
  // nr.artifact_uri stays empty: the store derives it from the experiment in the same
  // transaction that checks the experiment exists and is active.
  nr.tags = std::move(req.tags);
  if (tag_name.empty()) nr.tags.push_back(KeyValue{"mlflow.runName", name});
  return store_.runs().CreateRun(nr);
}

StatusOr<Run> TrackingService::GetRun(const std::string& ws, const std::string& run_id) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.runs().GetRun(wid, run_id);
}

StatusOr<RunInfo> TrackingService::UpdateRun(const std::string& ws, const std::string& run_id,
                                             const store::RunUpdate& update) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.runs().UpdateRun(wid, run_id, update);
}

Status TrackingService::DeleteRun(const std::string& ws, const std::string& run_id) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.runs().SetRunLifecycle(wid, run_id, LifecycleStage::kDeleted);
}

Status TrackingService::RestoreRun(const std::string& ws, const std::string& run_id) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.runs().SetRunLifecycle(wid, run_id, LifecycleStage::kActive);
}

Status TrackingService::LogBatch(const std::string& ws, const std::string& run_id,
                                 const std::vector<Metric>& metrics,
                                 const std::vector<KeyValue>& params,
                                 const std::vector<KeyValue>& tags) {
  RETURN_IF_ERROR(ValidateBatchLimits(metrics.size(), params.size(), tags.size()));
  for (const auto& m : metrics) RETURN_IF_ERROR(ValidateMetric(m));
  std::set<std::string_view> param_keys;
  for (const auto& p : params) {
    RETURN_IF_ERROR(ValidateParam(p));
    if (!param_keys.insert(p.key).second) {
      return InvalidArgument(fmt::format(
          "Duplicate parameter keys have been submitted: ['{}']. Please ensure the request "
          "contains only one param value per param key.",
          p.key));
    }
  }
  for (const auto& t : tags) RETURN_IF_ERROR(ValidateTag(t));
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  RETURN_IF_ERROR(store_.runs().LogBatch(wid, run_id, metrics, params, tags));
  if (!metrics.empty()) NotifyMetricObservers(*this, ws, run_id, metrics);
  return Status::Ok();
}

Status TrackingService::DeleteTag(const std::string& ws, const std::string& run_id,
                                  const std::string& key) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.runs().DeleteTag(wid, run_id, key);
}

Status TrackingService::LogInputs(const std::string& ws, const std::string& run_id,
                                  const std::vector<DatasetInput>& inputs) {
  if (inputs.size() > kMaxDatasetsPerLogInputs) {
    return InvalidArgument(fmt::format("A request can log at most {} datasets; got {}",
                                       kMaxDatasetsPerLogInputs, inputs.size()));
  }
  for (const auto& in : inputs) RETURN_IF_ERROR(ValidateDatasetInput(in));
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.runs().LogInputs(wid, run_id, inputs);
}

Status TrackingService::LogModel(const std::string& ws, const std::string& run_id,
                                 const std::string& model_json) {
  auto model = nlohmann::json::parse(model_json, nullptr, false);
  if (model.is_discarded() || !model.is_object()) {
    return InvalidArgument("Malformed model info. 'model_json' must be a JSON object");
  }
  for (const char* field : {"artifact_path", "flavors", "utc_time_created", "run_id"}) {
    if (!model.contains(field)) {
      return InvalidArgument(fmt::format("Model json is missing mandatory fields: ['{}']", field));
    }
  }
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  // The history is read and rewritten in one transaction: concurrent LogModel calls on one run
  // (threads, or several servers) each keep their entry.
  return store_.Atomically([&](store::Tx& tx) -> Status {
    ASSIGN_OR_RETURN(Run run, tx.LockRun(wid, run_id));
    nlohmann::json history = nlohmann::json::array();
    for (const auto& t : run.tags) {
      if (t.key == "mlflow.log-model.history") {
        auto h = nlohmann::json::parse(t.value, nullptr, false);
        if (h.is_array()) history = std::move(h);
      }
    }
    history.push_back(model);
    return tx.SetRunTags(wid, run_id, {KeyValue{"mlflow.log-model.history", DumpJson(history)}});
  });
}

StatusOr<RunsPage> TrackingService::SearchRuns(const std::string& ws,
                                               const SearchRunsRequest& req) {
  if (req.max_results < 1 || req.max_results > kMaxSearchRunsResults) {
    return InvalidArgument(
        fmt::format("Invalid value {} for parameter 'max_results' supplied. It must be at most {}",
                    req.max_results, kMaxSearchRunsResults));
  }
  store::RunQuery q;
  ASSIGN_OR_RETURN(q.workspace_id, WorkspaceId(ws));
  q.experiment_ids = req.experiment_ids;
  ASSIGN_OR_RETURN(q.filter, ParseRunFilter(req.filter));
  if (q.filter.size() > kMaxRunFilterClauses) {
    return InvalidArgument(
        fmt::format("Invalid filter: {} comparisons; a run search filter may hold at most {}",
                    q.filter.size(), kMaxRunFilterClauses));
  }
  if (req.order_by.size() > kMaxRunOrderBy) {
    return InvalidArgument(fmt::format("Invalid order_by: {} keys; at most {} are allowed",
                                       req.order_by.size(), kMaxRunOrderBy));
  }
  for (const auto& o : req.order_by) {
    ASSIGN_OR_RETURN(OrderBy ob, ParseRunOrderBy(o));
    q.order_by.push_back(std::move(ob));
  }
  q.view = req.view;
  ASSIGN_OR_RETURN(q.offset, DecodePageToken(req.page_token));
  q.limit = req.max_results;
  RunsPage out;
  ASSIGN_OR_RETURN(out.runs, store_.runs().SearchRuns(q));
  // As MLflow's SQL store: a full page always carries a token (possibly to an empty page).
  if (static_cast<std::int64_t>(out.runs.size()) == q.limit) {
    out.next_page_token = EncodePageToken(q.offset + q.limit);
  }
  return out;
}

StatusOr<std::vector<MetricPoint>> TrackingService::GetMetricHistory(const std::string& ws,
                                                                     const std::string& run_id,
                                                                     const std::string& key) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.runs().GetMetricHistory(store::MetricHistoryQuery{wid, run_id, key});
}

StatusOr<std::unique_ptr<store::MetricHistoryCursor>> TrackingService::OpenMetricHistory(
    const std::string& ws, const std::string& run_id, const std::string& key) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.runs().OpenMetricHistory(store::MetricHistoryQuery{wid, run_id, key});
}

StatusOr<MetricHistoryPage> TrackingService::GetMetricHistoryPage(
    const std::string& ws, const std::string& run_id, const std::string& key,
    const std::string& page_token, std::optional<std::int64_t> max_results) {
  std::int64_t limit = kMaxHistoryPage;
  if (max_results) {
    if (*max_results < 1) return InvalidArgument("max_results must be a positive integer");
    limit = std::min(*max_results, kMaxHistoryPage);
  }
  ASSIGN_OR_RETURN(std::int64_t offset, DecodePageToken(page_token));
  ASSIGN_OR_RETURN(std::vector<MetricPoint> all, GetMetricHistory(ws, run_id, key));
  MetricHistoryPage page;
  auto total = static_cast<std::int64_t>(all.size());
  if (offset == 0 && total <= limit) {
    page.points = std::move(all);
    return page;
  }
  std::int64_t begin = std::min(offset, total);
  std::int64_t end = std::min(total, begin + limit);
  page.points.assign(all.begin() + begin, all.begin() + end);
  if (end < total) page.next_page_token = EncodePageToken(end);
  return page;
}

// ---- traces ----

StatusOr<TraceInfo> TrackingService::StartTrace(const std::string& ws, TraceInfo info) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  for (const auto& t : info.tags) {
    if (t.key.size() > 250) return InvalidArgument("Trace tag key longer than 250 characters");
    if (t.value.size() > 8000)
      return InvalidArgument("Trace tag value longer than 8000 characters");
  }
  ASSIGN_OR_RETURN(Experiment exp, store_.experiments().GetExperiment(wid, info.experiment_id));
  info.request_id = "tr-" + NewRunId();
  info.status = TraceStatus::kInProgress;
  std::string base = exp.artifact_location;
  while (!base.empty() && base.back() == '/') base.pop_back();
  info.tags.push_back(
      KeyValue{"mlflow.artifactLocation", base + "/traces/" + info.request_id + "/artifacts"});
  return store_.traces().StartTrace(wid, info);
}

StatusOr<TraceInfo> TrackingService::EndTrace(const std::string& ws, const TraceInfo& update) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.traces().EndTrace(wid, update);
}

StatusOr<TraceInfo> TrackingService::GetTraceInfo(const std::string& ws,
                                                  const std::string& request_id) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.traces().GetTraceInfo(wid, request_id);
}

namespace {

// Trace filters name request metadata as `request_metadata.<key>` (or `metadata.<key>`). The run
// filter grammar has no such entity, so those identifiers are rewritten to `params.<key>` outside
// quoted strings, and the store reads param clauses as request-metadata clauses.
std::string RewriteTraceFilter(const std::string& filter) {
  std::string out;
  char quote = 0;
  for (size_t i = 0; i < filter.size(); ++i) {
    char c = filter[i];
    if (quote != 0) {
      out += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') {
      quote = c;
      out += c;
      continue;
    }
    bool boundary = i == 0 || !(std::isalnum(static_cast<unsigned char>(filter[i - 1])) ||
                                filter[i - 1] == '_' || filter[i - 1] == '.');
    for (std::string_view prefix : {"request_metadata.", "metadata."}) {
      if (boundary && filter.compare(i, prefix.size(), prefix) == 0) {
        out += "params.";
        i += prefix.size();
        c = i < filter.size() ? filter[i] : '\0';
        break;
      }
    }
    if (i < filter.size()) {
      if (c == '\'' || c == '"' || c == '`') quote = c;
      out += c;
    }
  }
  return out;
}

}  // namespace

StatusOr<TracesPage> TrackingService::SearchTraces(const std::string& ws,
                                                   const SearchTracesRequest& req) {
  if (req.max_results < 1 || req.max_results > 500) {
    return InvalidArgument("max_results for traces must be between 1 and 500");
  }
  store::TraceQuery q;
  ASSIGN_OR_RETURN(q.workspace_id, WorkspaceId(ws));
  q.experiment_ids = req.experiment_ids;
  ASSIGN_OR_RETURN(q.filter, ParseRunFilter(RewriteTraceFilter(req.filter)));
  for (const auto& o : req.order_by) {
    std::string s = o;
    bool asc = s.find(" ASC") != std::string::npos || s.find(" asc") != std::string::npos;
    if (s.rfind("timestamp_ms", 0) != 0 && s.rfind("timestamp", 0) != 0 &&
        s.rfind("attributes.timestamp", 0) != 0) {
      return InvalidArgument("Traces can only be ordered by timestamp_ms, got '" + o + "'");
    }
    q.order_ascending = asc;
  }
  ASSIGN_OR_RETURN(q.offset, DecodePageToken(req.page_token));
  q.limit = req.max_results;
  TracesPage out;
  ASSIGN_OR_RETURN(out.traces, store_.traces().SearchTraces(q));
  if (static_cast<std::int64_t>(out.traces.size()) > q.limit) {
    out.traces.pop_back();
    out.next_page_token = EncodePageToken(q.offset + q.limit);
  }
  return out;
}

StatusOr<std::int64_t> TrackingService::DeleteTraces(const std::string& ws,
                                                     store::TraceDelete req) {
  ASSIGN_OR_RETURN(req.workspace_id, WorkspaceId(ws));
  bool by_time = req.max_timestamp_millis.has_value();
  bool by_ids = !req.request_ids.empty();
  if (by_time == by_ids) {
    return InvalidArgument(
        "Exactly one of 'max_timestamp_millis' and 'request_ids' must be "
        "specified.");
  }
  if (by_ids && req.max_traces) {
    return InvalidArgument("'max_traces' can't be specified if 'request_ids' is specified.");
  }
  return store_.traces().DeleteTraces(req);
}

Status TrackingService::SetTraceTag(const std::string& ws, const std::string& request_id,
                                    const KeyValue& tag) {
  if (tag.key.empty() || tag.key.size() > 250) return InvalidArgument("Invalid trace tag key");
  if (tag.value.size() > 8000) return InvalidArgument("Trace tag value longer than 8000");
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.traces().SetTraceTag(wid, request_id, tag);
}

Status TrackingService::DeleteTraceTag(const std::string& ws, const std::string& request_id,
                                       const std::string& key) {
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceId(ws));
  return store_.traces().DeleteTraceTag(wid, request_id, key);
}

}  // namespace mlws::tracking
