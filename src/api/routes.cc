// The one declarative route table. Each row: method, path, the action it needs (enforced by the
// authorization layer), handler. MLflow rows are also served under /ajax-api/2.0/... and under
// the /workspaces/<ws> prefix (see http::Router).
#include "mlws/api/routes.h"

#include "api/handlers.h"

namespace mlws::api {

namespace {

struct Row {
  const char* method;
  const char* path;
  const char* action;
  HandlerFn fn;
  bool streams_body = false;
};

constexpr const char* kMl = "/api/2.0/mlflow";

// clang-format off
const Row kRows[] = {
  {"GET",    "/health",  "server/health/read", Health},
  {"GET",    "/version", "server/health/read", Version},

  {"POST",   "/api/v1/workspaces",      "server/workspaces/write", CreateWorkspace},
  {"GET",    "/api/v1/workspaces",      "server/workspaces/read",  ListWorkspaces},
  {"GET",    "/api/v1/workspaces/{ws}", "workspaces/read",         GetWorkspace},
  {"DELETE", "/api/v1/workspaces/{ws}", "server/workspaces/write", DeleteWorkspace},

  {"POST",  "/experiments/create",             "workspaces/experiments/write", CreateExperiment},
  {"GET",   "/experiments/get",                "workspaces/experiments/read",  GetExperiment},
  {"GET",   "/experiments/get-by-name",        "workspaces/experiments/read",  GetExperimentByName},
  {"POST",  "/experiments/search",             "workspaces/experiments/read",  SearchExperiments},
  {"GET",   "/experiments/search",             "workspaces/experiments/read",  SearchExperiments},
  {"POST",  "/experiments/update",             "workspaces/experiments/write", UpdateExperiment},
  {"POST",  "/experiments/delete",             "workspaces/experiments/write", DeleteExperiment},
  {"POST",  "/experiments/restore",            "workspaces/experiments/write", RestoreExperiment},
  {"POST",  "/experiments/set-experiment-tag", "workspaces/experiments/write", SetExperimentTag},
  {"POST",  "/experiments/search-datasets",    "workspaces/experiments/read",  SearchDatasets},
  {"POST",  "/logged-models/search",           "workspaces/experiments/read",  SearchLoggedModels},

  {"POST",  "/runs/create",         "workspaces/runs/write", CreateRun},
  {"GET",   "/runs/get",            "workspaces/runs/read",  GetRun},
  {"POST",  "/runs/update",         "workspaces/runs/write", UpdateRun},
  {"POST",  "/runs/delete",         "workspaces/runs/write", DeleteRun},
  {"POST",  "/runs/restore",        "workspaces/runs/write", RestoreRun},
  {"POST",  "/runs/log-metric",     "workspaces/runs/write", LogMetric},
  {"POST",  "/runs/log-parameter",  "workspaces/runs/write", LogParam},
  {"POST",  "/runs/set-tag",        "workspaces/runs/write", SetTag},
  {"POST",  "/runs/delete-tag",     "workspaces/runs/write", DeleteTag},
  {"POST",  "/runs/log-batch",      "workspaces/runs/write", LogBatch},
  {"POST",  "/runs/log-model",      "workspaces/runs/write", LogModel},
  {"POST",  "/runs/log-inputs",     "workspaces/runs/write", LogInputs},
  {"POST",  "/runs/search",         "workspaces/runs/read",  SearchRuns},
  {"GET",   "/runs/search",         "workspaces/runs/read",  SearchRuns},
  {"GET",   "/metrics/get-history", "workspaces/runs/read",  GetMetricHistory},
  {"GET",   "/metrics/get-history-bulk-interval", "workspaces/runs/read", GetMetricHistoryBulkInterval},
  {"GET",   "/artifacts/list",      "workspaces/runs/read",  ListRunArtifacts},

  {"POST",   "/traces",                     "workspaces/traces/write", StartTrace},
  {"GET",    "/traces",                     "workspaces/traces/read",  SearchTraces},
  {"POST",   "/traces/delete-traces",       "workspaces/traces/write", DeleteTraces},
  {"PATCH",  "/traces/{request_id}",        "workspaces/traces/write", EndTrace},
  {"GET",    "/traces/{request_id}/info",   "workspaces/traces/read",  GetTraceInfo},
  {"PATCH",  "/traces/{request_id}/tags",   "workspaces/traces/write", SetTraceTag},
  {"DELETE", "/traces/{request_id}/tags",   "workspaces/traces/write", DeleteTraceTag},
};

const Row kArtifactRows[] = {
  {"GET",    "/api/2.0/mlflow-artifacts/artifacts",         "workspaces/artifacts/read",  ListProxiedArtifacts},
  {"PUT",    "/api/2.0/mlflow-artifacts/artifacts/{path...}", "workspaces/artifacts/write", UploadArtifact, true},
  {"GET",    "/api/2.0/mlflow-artifacts/artifacts/{path...}", "workspaces/artifacts/read",  DownloadArtifact},
  {"DELETE", "/api/2.0/mlflow-artifacts/artifacts/{path...}", "workspaces/artifacts/write", DeleteArtifact},
  {"POST",   "/api/2.0/mlflow-artifacts/mpu/create/{path...}",   "workspaces/artifacts/write", MultipartUnsupported},
  {"POST",   "/api/2.0/mlflow-artifacts/mpu/complete/{path...}", "workspaces/artifacts/write", MultipartUnsupported},
  {"POST",   "/api/2.0/mlflow-artifacts/mpu/abort/{path...}",    "workspaces/artifacts/write", MultipartUnsupported},
  {"GET",    "/get-artifact",                                 "workspaces/artifacts/read",  GetArtifact},
};
// clang-format on

void AddRow(http::Router& router, ApiContext& ctx, const Row& row, std::string path) {
  http::Route r;
  r.method = row.method;
  r.pattern = std::move(path);
  r.action = row.action;
  r.streams_body = row.streams_body;
  HandlerFn fn = row.fn;
  r.handler = [&ctx, fn](http::Request& req) { return fn(ctx, req); };
  router.Add(std::move(r));
}

}  // namespace

void RegisterRoutes(http::Router& router, ApiContext& ctx) {
  for (const Row& row : kRows) {
    std::string p = row.path;
    bool mlflow = p.rfind("/api/", 0) != 0 && p != "/health" && p != "/version";
    AddRow(router, ctx, row, mlflow ? std::string(kMl) + p : p);
  }
  for (const Row& row : kArtifactRows) AddRow(router, ctx, row, row.path);
}

}  // namespace mlws::api
