// The one declarative route table. Each row: method, path, the action it needs (enforced by the
// authorization layer), handler. MLflow rows are also served under /ajax-api/2.0/... and under
// the /workspaces/<ws> prefix (see http::Router).
#include "mlws/api/routes.h"

#include "api/handlers.h"
#include "api/mlflow3_handlers.h"
#include "api/openapi_schemas.h"
#include "api/registries_handler.h"
#include "api/shared_resources_handler.h"
#include "mlws/api/browser_safety.h"
#include "mlws/assets/shared_resources.h"
#include "mlws/common/ids.h"

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
  {"GET",    "/metrics", "server/metrics/read", PrometheusMetrics},
  {"GET",    "/api/v1/openapi.json", "server/health/read", OpenApi},

  {"POST",   "/api/v1/workspaces",      "server/workspaces/create/write", CreateWorkspace},
  {"GET",    "/api/v1/workspaces",      "server/workspaces/read",  ListWorkspaces},
  {"GET",    "/api/v1/workspaces/{ws}", "workspaces/read",         GetWorkspace},
  {"DELETE", "/api/v1/workspaces/{ws}", "server/workspaces/write", DeleteWorkspace},

  {"GET",    "/api/v1/whoami",                "self/read",                      WhoAmI},
  {"POST",   "/api/v1/users",                 "server/users/write",             CreateUser},
  {"GET",    "/api/v1/users",                 "server/users/read",              ListUsers},
  {"DELETE", "/api/v1/users/{name}",          "server/users/write",             DeleteUser},
  {"POST",   "/api/v1/tokens",                "self/tokens/write",              CreateToken},
  {"GET",    "/api/v1/tokens",                "self/tokens/read",               ListTokens},
  {"DELETE", "/api/v1/tokens/{id}",           "self/tokens/write",              RevokeToken},
  {"POST",   "/api/v1/groups",                        "server/groups/write", CreateGroup},
  {"GET",    "/api/v1/groups",                        "server/groups/read",  ListGroups},
  {"DELETE", "/api/v1/groups/{name}",                 "server/groups/write", DeleteGroup},
  {"PUT",    "/api/v1/groups/{name}/members/{user}",  "server/groups/write", AddGroupMember},
  {"DELETE", "/api/v1/groups/{name}/members/{user}",  "server/groups/write", RemoveGroupMember},
  {"GET",    "/api/v1/roles",                 "server/roles/read",              ListRoles},
  {"POST",   "/api/v1/roles",                         "server/roles/write",  CreateRole},
  {"DELETE", "/api/v1/roles/{name}",                  "server/roles/write",  DeleteRole},
  {"POST",   "/api/v1/role-assignments",      "server/roleAssignments/write",   CreateRoleAssignment},
  {"GET",    "/api/v1/role-assignments",      "server/roleAssignments/read",    ListRoleAssignments},
  {"DELETE", "/api/v1/role-assignments/{id}", "server/roleAssignments/write",   DeleteRoleAssignment},
  {"GET",    "/api/v1/audit",                 "server/audit/read",              ListAudit},

  {"GET",    "/api/v1/workspaces/{ws}/secrets",        "workspaces/secretNames/read", ListSecrets},
  {"PUT",    "/api/v1/workspaces/{ws}/secrets/{name}", "workspaces/secrets/write",    SetSecret},
  {"GET",    "/api/v1/workspaces/{ws}/secrets/{name}", "workspaces/secrets/read",     GetSecret},
  {"DELETE", "/api/v1/workspaces/{ws}/secrets/{name}", "workspaces/secrets/write",    DeleteSecret},

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

  {"POST",   "/registered-models/create",              "workspaces/models/write", CreateRegisteredModel},
  {"GET",    "/registered-models/get",                 "workspaces/models/read",  GetRegisteredModel},
  {"POST",   "/registered-models/rename",              "workspaces/models/write", RenameRegisteredModel},
  {"PATCH",  "/registered-models/update",              "workspaces/models/write", UpdateRegisteredModel},
  {"DELETE", "/registered-models/delete",              "workspaces/models/write", DeleteRegisteredModel},
  {"GET",    "/registered-models/search",              "workspaces/models/read",  SearchRegisteredModels},
  {"POST",   "/registered-models/get-latest-versions", "workspaces/models/read",  GetLatestVersions},
  {"GET",    "/registered-models/get-latest-versions", "workspaces/models/read",  GetLatestVersions},
  {"POST",   "/registered-models/set-tag",             "workspaces/models/write", SetRegisteredModelTag},
  {"DELETE", "/registered-models/delete-tag",          "workspaces/models/write", DeleteRegisteredModelTag},
  {"POST",   "/registered-models/alias",               "workspaces/models/write", SetRegisteredModelAlias},
  {"DELETE", "/registered-models/alias",               "workspaces/models/write", DeleteRegisteredModelAlias},
  {"GET",    "/registered-models/alias",               "workspaces/models/read",  GetModelVersionByAlias},
  {"POST",   "/model-versions/create",                 "workspaces/models/write", CreateModelVersion},
  {"GET",    "/model-versions/get",                    "workspaces/models/read",  GetModelVersion},
  {"PATCH",  "/model-versions/update",                 "workspaces/models/write", UpdateModelVersion},
  {"DELETE", "/model-versions/delete",                 "workspaces/models/write", DeleteModelVersion},
  {"POST",   "/model-versions/transition-stage",       "workspaces/models/write", TransitionModelVersionStage},
  {"GET",    "/model-versions/get-download-uri",       "workspaces/models/read",  GetModelVersionDownloadUri},
  {"GET",    "/model-versions/search",                 "workspaces/models/read",  SearchModelVersions},
  {"POST",   "/model-versions/set-tag",                "workspaces/models/write", SetModelVersionTag},
  {"DELETE", "/model-versions/delete-tag",             "workspaces/models/write", DeleteModelVersionTag},

  {"POST",   "/traces",                     "workspaces/traces/write", StartTrace},
  {"GET",    "/traces",                     "workspaces/traces/read",  SearchTraces},
  {"POST",   "/traces/delete-traces",       "workspaces/traces/write", DeleteTraces},
  {"PATCH",  "/traces/{request_id}",        "workspaces/traces/write", EndTrace},
  {"GET",    "/traces/{request_id}/info",   "workspaces/traces/read",  GetTraceInfo},
  // The MLflow 3 client falls back to this path for trace infos when the v3 API is absent.
  {"GET",    "/traces/{request_id}",        "workspaces/traces/read",  GetTraceInfo},
  {"PATCH",  "/traces/{request_id}/tags",   "workspaces/traces/write", SetTraceTag},
  {"DELETE", "/traces/{request_id}/tags",   "workspaces/traces/write", DeleteTraceTag},

  // MLflow 3 logged models (logged_models_handler.cc).
  {"POST",   "/logged-models",                          "workspaces/runs/write",       CreateLoggedModel},
  {"GET",    "/logged-models/{model_id}",               "workspaces/experiments/read", GetLoggedModel},
  {"PATCH",  "/logged-models/{model_id}",               "workspaces/runs/write",       FinalizeLoggedModel},
  {"DELETE", "/logged-models/{model_id}",               "workspaces/runs/write",       DeleteLoggedModel},
  {"PATCH",  "/logged-models/{model_id}/tags",          "workspaces/runs/write",       SetLoggedModelTags},
  {"DELETE", "/logged-models/{model_id}/tags/{tag_key}", "workspaces/runs/write",      DeleteLoggedModelTag},
  {"POST",   "/logged-models/{model_id}/params",        "workspaces/runs/write",       LogLoggedModelParams},
  {"POST",   "/runs/outputs",                           "workspaces/runs/write",       LogOutputs},

  // MLflow 3 traces and assessments (traces_v3_handler.cc); v3 tags and deletes use the v2 rows.
  {"POST",   "/api/3.0/mlflow/traces",                  "workspaces/traces/write", StartTraceV3},
  {"POST",   "/api/3.0/mlflow/traces/search",           "workspaces/traces/read",  SearchTracesV3},
  {"GET",    "/api/3.0/mlflow/traces/{trace_id}",       "workspaces/traces/read",  GetTraceInfoV3},
  {"POST",   "/traces/link-to-run",                     "workspaces/traces/write", LinkTracesToRun},
  {"POST",   "/api/3.0/mlflow/traces/{trace_id}/assessments", "workspaces/traces/write", CreateAssessment},
  {"GET",    "/api/3.0/mlflow/traces/{trace_id}/assessments/{assessment_id}", "workspaces/traces/read",  GetAssessment},
  {"PATCH",  "/api/3.0/mlflow/traces/{trace_id}/assessments/{assessment_id}", "workspaces/traces/write", UpdateAssessment},
  {"DELETE", "/api/3.0/mlflow/traces/{trace_id}/assessments/{assessment_id}", "workspaces/traces/write", DeleteAssessment},
  // OTLP span export and traces with spans (traces_otlp_handler.cc).
  {"POST",   "/v1/traces",                              "workspaces/traces/write", ExportOtlpTraces},
  {"GET",    "/api/3.0/mlflow/traces/get",              "workspaces/traces/read",  GetTraceV3},
  {"GET",    "/api/3.0/mlflow/traces/batchGet",         "workspaces/traces/read",  BatchGetTracesV3},

  // Smaller MLflow 3 routes (mlflow3_misc_handler.cc).
  {"GET",    "/api/3.0/mlflow/server-info",             "server/health/read",           ServerInfo},
  {"POST",   "/experiments/delete-experiment-tag",      "workspaces/experiments/write", DeleteExperimentTag},
  {"POST",   "/webhooks",                               "workspaces/models/write",      CreateWebhook},
  {"GET",    "/webhooks",                               "workspaces/models/read",       ListWebhooks},
  {"GET",    "/webhooks/{webhook_id}",                  "workspaces/models/read",       GetWebhook},
  {"PATCH",  "/webhooks/{webhook_id}",                  "workspaces/models/write",      UpdateWebhook},
  {"DELETE", "/webhooks/{webhook_id}",                  "workspaces/models/write",      DeleteWebhook},
  {"POST",   "/webhooks/{webhook_id}/test",             "workspaces/models/write",      TestWebhook},

  // MLflow 3 GenAI evaluation datasets (eval_datasets_handler.cc).
  {"POST",   "/api/3.0/mlflow/datasets/create",                     "workspaces/experiments/write", CreateEvalDataset},
  {"POST",   "/api/3.0/mlflow/datasets/search",                     "workspaces/experiments/read",  SearchEvalDatasets},
  {"GET",    "/api/3.0/mlflow/datasets/{dataset_id}",               "workspaces/experiments/read",  GetEvalDataset},
  {"DELETE", "/api/3.0/mlflow/datasets/{dataset_id}",               "workspaces/experiments/write", DeleteEvalDataset},
  {"POST",   "/api/3.0/mlflow/datasets/{dataset_id}/records",       "workspaces/experiments/write", UpsertEvalDatasetRecords},
  {"GET",    "/api/3.0/mlflow/datasets/{dataset_id}/records",       "workspaces/experiments/read",  GetEvalDatasetRecords},
  {"GET",    "/api/3.0/mlflow/datasets/{dataset_id}/experiment-ids", "workspaces/experiments/read", GetEvalDatasetExperimentIds},
};

// Versioned assets: the same ten routes for each collection; the handler reads the collection
// from the path.
#define MLWS_ASSET_ROWS(c)                                                                       \
  {"POST",   "/api/v1/workspaces/{ws}/" c,                          "workspaces/" c "/write", CreateAsset},       \
  {"GET",    "/api/v1/workspaces/{ws}/" c,                          "workspaces/" c "/read",  ListAssets},        \
  {"GET",    "/api/v1/workspaces/{ws}/" c "/{name}",                "workspaces/" c "/read",  GetAsset},          \
  {"GET",    "/api/v1/workspaces/{ws}/" c "/{name}/versions",       "workspaces/" c "/read",  ListAssetVersions}, \
  {"GET",    "/api/v1/workspaces/{ws}/" c "/{name}/versions/{version}", "workspaces/" c "/read",  GetAssetVersion}, \
  {"PATCH",  "/api/v1/workspaces/{ws}/" c "/{name}/versions/{version}", "workspaces/" c "/write", UpdateAsset},    \
  {"DELETE", "/api/v1/workspaces/{ws}/" c "/{name}/versions/{version}", "workspaces/" c "/write", DeleteAsset},   \
  {"POST",   "/api/v1/workspaces/{ws}/" c "/{name}/versions/{version}/archive", "workspaces/" c "/write", ArchiveAsset}, \
  {"POST",   "/api/v1/workspaces/{ws}/" c "/{name}/versions/{version}/restore", "workspaces/" c "/write", RestoreAsset}, \
  {"GET",    "/api/v1/workspaces/{ws}/" c "/{name}/versions/{version}/lineage", "workspaces/" c "/read", AssetLineage}

const Row kAssetRows[] = {
  MLWS_ASSET_ROWS("models"),
  MLWS_ASSET_ROWS("data"),
  MLWS_ASSET_ROWS("environments"),
  MLWS_ASSET_ROWS("components"),
  {"GET",    "/api/v1/workspaces/{ws}/runs/{run_id}/lineage",       "workspaces/runs/read",        RunLineage},
  {"POST",   "/api/v1/workspaces/{ws}/environment-builds",          "workspaces/environments/write", BuildEnvironment},
  {"GET",    "/api/v1/workspaces/{ws}/environment-builds/{hash}/log", "workspaces/environments/read", EnvironmentBuildLog},
  {"POST",   "/api/v1/workspaces/{ws}/runs/{run_id}/inputs",        "workspaces/runs/write",       AddRunInput},
  {"POST",   "/api/v1/workspaces/{ws}/datastores",                  "workspaces/datastores/write",  CreateDatastore},
  {"GET",    "/api/v1/workspaces/{ws}/datastores",                  "workspaces/datastores/read",   ListDatastores},
  {"GET",    "/api/v1/workspaces/{ws}/datastores/{name}",           "workspaces/datastores/read",   GetDatastore},
  {"DELETE", "/api/v1/workspaces/{ws}/datastores/{name}",           "workspaces/datastores/write",  DeleteDatastore},
  {"GET",    "/api/v1/workspaces/{ws}/datastores/{name}/files",     "workspaces/datastores/read",   ListDatastoreFiles},
  {"GET",    "/api/v1/workspaces/{ws}/datastores/{name}/download/{path...}", "workspaces/datastores/read", DownloadDatastoreFile},
  {"GET",    "/api/v1/workspaces/{ws}/uploads/{hash}",              "workspaces/uploads/read",      GetUpload},
  {"PUT",    "/api/v1/workspaces/{ws}/uploads/{hash}",              "workspaces/uploads/write",     PutUpload, true},
};
#undef MLWS_ASSET_ROWS

const Row kArtifactRows[] = {
  {"GET",    "/api/2.0/mlflow-artifacts/artifacts",         "workspaces/artifacts/read",  ListProxiedArtifacts},
  {"PUT",    "/api/2.0/mlflow-artifacts/artifacts/{path...}", "workspaces/artifacts/write", UploadArtifact, true},
  {"GET",    "/api/2.0/mlflow-artifacts/artifacts/{path...}", "workspaces/artifacts/read",  DownloadArtifact},
  {"DELETE", "/api/2.0/mlflow-artifacts/artifacts/{path...}", "workspaces/artifacts/write", DeleteArtifact},
  {"POST",   "/api/2.0/mlflow-artifacts/mpu/create/{path...}",   "workspaces/artifacts/write", CreateMultipartUpload},
  {"POST",   "/api/2.0/mlflow-artifacts/mpu/complete/{path...}", "workspaces/artifacts/write", CompleteMultipartUpload},
  {"POST",   "/api/2.0/mlflow-artifacts/mpu/abort/{path...}",    "workspaces/artifacts/write", AbortMultipartUpload},
  {"GET",    "/get-artifact",                                 "workspaces/artifacts/read",  GetArtifact},
};

// Jobs, computes and cost (jobs_handler.cc).
const Row kJobRows[] = {
  {"POST",   "/api/v1/workspaces/{ws}/jobs",                                 "workspaces/jobs/write",     CreateJob},
  {"GET",    "/api/v1/workspaces/{ws}/jobs",                                 "workspaces/jobs/read",      ListJobs},
  {"GET",    "/api/v1/workspaces/{ws}/jobs/{name}",                          "workspaces/jobs/read",      GetJob},
  {"GET",    "/api/v1/workspaces/{ws}/jobs/{name}/logs",                     "workspaces/jobs/read",      GetJobLogs},
  {"POST",   "/api/v1/workspaces/{ws}/jobs/{name}/cancel",                   "workspaces/jobs/write",     CancelJob},
  {"POST",   "/api/v1/workspaces/{ws}/jobs/{name}/archive",                  "workspaces/jobs/write",     ArchiveJob},
  {"POST",   "/api/v1/workspaces/{ws}/jobs/{name}/restore",                  "workspaces/jobs/write",     RestoreJob},
  {"GET",    "/api/v1/workspaces/{ws}/jobs/{name}/outputs",                  "workspaces/jobs/read",      ListJobOutputs},
  {"GET",    "/api/v1/workspaces/{ws}/jobs/{name}/outputs/{output}/{path...}", "workspaces/jobs/read",    DownloadJobOutput},
  {"POST",   "/api/v1/workspaces/{ws}/computes",                             "workspaces/computes/write", CreateCompute},
  {"GET",    "/api/v1/workspaces/{ws}/computes",                             "workspaces/computes/read",  ListComputes},
  {"GET",    "/api/v1/workspaces/{ws}/computes/{name}",                      "workspaces/computes/read",  GetCompute},
  {"DELETE", "/api/v1/workspaces/{ws}/computes/{name}",                      "workspaces/computes/write", DeleteCompute},
  {"GET",    "/api/v1/workspaces/{ws}/cost",                                 "workspaces/cost/read",      GetCost},
  // Quotas and cost over time (quotas_handler.cc, cost_handler.cc); setting a quota is Owner-only.
  {"GET",    "/api/v1/workspaces/{ws}/quota",                                "workspaces/quota/read",     GetQuota},
  {"PUT",    "/api/v1/workspaces/{ws}/quota",                                "workspaces/quota/write",    SetQuota},
  {"GET",    "/api/v1/workspaces/{ws}/cost/series",                          "workspaces/cost/read",      GetCostSeries},
  {"GET",    "/api/v1/cost/series",                                          "server/cost/read",          GetServerCostSeries},
  // Compute instances (compute_instances_handler.cc).
  {"POST",   "/api/v1/workspaces/{ws}/computes/{name}/start",                "workspaces/computes/write", StartComputeInstance},
  {"POST",   "/api/v1/workspaces/{ws}/computes/{name}/stop",                 "workspaces/computes/write", StopComputeInstance},
  {"POST",   "/api/v1/workspaces/{ws}/computes/{name}/restart",              "workspaces/computes/write", RestartComputeInstance},
  {"POST",   "/api/v1/workspaces/{ws}/computes/{name}/lab-session",          "workspaces/instances/lab/write", CreateLabSession},
  // Schedules (schedules_handler.cc).
  {"POST",   "/api/v1/workspaces/{ws}/schedules",                            "workspaces/schedules/write", CreateSchedule},
  {"GET",    "/api/v1/workspaces/{ws}/schedules",                            "workspaces/schedules/read",  ListSchedules},
  {"GET",    "/api/v1/workspaces/{ws}/schedules/{name}",                     "workspaces/schedules/read",  GetSchedule},
  {"PUT",    "/api/v1/workspaces/{ws}/schedules/{name}",                     "workspaces/schedules/write", UpdateSchedule},
  {"POST",   "/api/v1/workspaces/{ws}/schedules/{name}/enable",              "workspaces/schedules/write", EnableSchedule},
  {"POST",   "/api/v1/workspaces/{ws}/schedules/{name}/disable",             "workspaces/schedules/write", DisableSchedule},
  {"DELETE", "/api/v1/workspaces/{ws}/schedules/{name}",                     "workspaces/schedules/write", DeleteSchedule},
};

// A compute instance's lab, proxied (compute_instances_handler.cc): under the /workspaces/<ws>
// prefix; the handler admits only the instance's owner, users it is shared with and Owners.
const Row kLabRows[] = {
  {"GET",    "/computes/{name}/lab/{path...}", "workspaces/instances/lab/read",  ProxyLab},
  {"POST",   "/computes/{name}/lab/{path...}", "workspaces/instances/lab/write", ProxyLab},
  {"PUT",    "/computes/{name}/lab/{path...}", "workspaces/instances/lab/write", ProxyLab},
  {"PATCH",  "/computes/{name}/lab/{path...}", "workspaces/instances/lab/write", ProxyLab},
  {"DELETE", "/computes/{name}/lab/{path...}", "workspaces/instances/lab/write", ProxyLab},
};

// Online endpoints and deployments (online_endpoints_handler.cc, online_deployments_handler.cc).
// Scoring admits a request that carries one of the endpoint's keys without a user (Admit).
constexpr const char* kEp = "/api/v1/workspaces/{ws}/online-endpoints";
const Row kEndpointRows[] = {
  {"POST",   "",                                         "workspaces/onlineEndpoints/write",       CreateOnlineEndpoint},
  {"GET",    "",                                         "workspaces/onlineEndpoints/read",        ListOnlineEndpoints},
  {"GET",    "/{name}",                                  "workspaces/onlineEndpoints/read",        GetOnlineEndpoint},
  {"PATCH",  "/{name}",                                  "workspaces/onlineEndpoints/write",       UpdateOnlineEndpoint},
  {"DELETE", "/{name}",                                  "workspaces/onlineEndpoints/write",       DeleteOnlineEndpoint},
  {"POST",   "/{name}/list-keys",                        "workspaces/onlineEndpoints/write",       GetOnlineEndpointKeys},
  {"POST",   "/{name}/regenerate-keys",                  "workspaces/onlineEndpoints/write",       RegenerateOnlineEndpointKeys},
  {"POST",   "/{name}/score",                            "workspaces/onlineEndpoints/score/write", ScoreOnlineEndpoint},
  {"POST",   "/{endpoint}/deployments",                  "workspaces/onlineEndpoints/write",       CreateOnlineDeployment},
  {"GET",    "/{endpoint}/deployments",                  "workspaces/onlineEndpoints/read",        ListOnlineDeployments},
  {"GET",    "/{endpoint}/deployments/{name}",           "workspaces/onlineEndpoints/read",        GetOnlineDeployment},
  {"PATCH",  "/{endpoint}/deployments/{name}",           "workspaces/onlineEndpoints/write",       UpdateOnlineDeployment},
  {"DELETE", "/{endpoint}/deployments/{name}",           "workspaces/onlineEndpoints/write",       DeleteOnlineDeployment},
  {"GET",    "/{endpoint}/deployments/{name}/logs",      "workspaces/onlineEndpoints/read",        GetOnlineDeploymentLogs},
  // Requests, errors and latency per minute over the last hour (endpoint_stats_handler.cc).
  {"GET",    "/{name}/stats",                            "workspaces/onlineEndpoints/read",        GetOnlineEndpointStats},
};
// Registries (registries_handler.cc, docs/registries.md): server-scope resources; their assets'
// actions are "registries/<collection>/<verb>", checked against registry-scope role assignments.
#define MLWS_REGISTRY_ASSET_ROWS(c)                                                              \
  {"POST",   "/api/v1/registries/{reg}/" c,                      "registries/" c "/write", CreateRegistryAsset}, \
  {"GET",    "/api/v1/registries/{reg}/" c,                      "registries/" c "/read",  InRegistry<ListAssets>}, \
  {"GET",    "/api/v1/registries/{reg}/" c "/{name}",            "registries/" c "/read",  InRegistry<GetAsset>}, \
  {"GET",    "/api/v1/registries/{reg}/" c "/{name}/versions",   "registries/" c "/read",  InRegistry<ListAssetVersions>}, \
  {"GET",    "/api/v1/registries/{reg}/" c "/{name}/versions/{version}", "registries/" c "/read",  InRegistry<GetAssetVersion>}, \
  {"DELETE", "/api/v1/registries/{reg}/" c "/{name}/versions/{version}", "registries/" c "/write", InRegistry<DeleteAsset>}, \
  {"POST",   "/api/v1/registries/{reg}/" c "/{name}/versions/{version}/archive", "registries/" c "/write", InRegistry<ArchiveAsset>}, \
  {"POST",   "/api/v1/registries/{reg}/" c "/{name}/versions/{version}/restore", "registries/" c "/write", InRegistry<RestoreAsset>}, \
  {"POST",   "/api/v1/workspaces/{ws}/" c "/{name}/versions/{version}/share", "workspaces/" c "/read", ShareAsset}
const Row kRegistryRows[] = {
  {"POST",   "/api/v1/registries",       "server/registries/write", CreateRegistry},
  {"GET",    "/api/v1/registries",       "self/registries/read",    ListRegistries},
  {"GET",    "/api/v1/registries/{reg}", "registries/read",         GetRegistry},
  {"DELETE", "/api/v1/registries/{reg}", "server/registries/write", DeleteRegistry},
  MLWS_REGISTRY_ASSET_ROWS("models"),
  MLWS_REGISTRY_ASSET_ROWS("data"),
  MLWS_REGISTRY_ASSET_ROWS("environments"),
  MLWS_REGISTRY_ASSET_ROWS("components"),
};
#undef MLWS_REGISTRY_ASSET_ROWS

// Batch endpoints and deployments (batch_endpoints_handler.cc); invoke also needs jobs/write.
constexpr const char* kBatchEp = "/api/v1/workspaces/{ws}/batch-endpoints";
const Row kBatchEndpointRows[] = {
  {"POST",   "",                                         "workspaces/batchEndpoints/write",        CreateBatchEndpoint},
  {"GET",    "",                                         "workspaces/batchEndpoints/read",         ListBatchEndpoints},
  {"GET",    "/{name}",                                  "workspaces/batchEndpoints/read",         GetBatchEndpoint},
  {"PATCH",  "/{name}",                                  "workspaces/batchEndpoints/write",        UpdateBatchEndpoint},
  {"DELETE", "/{name}",                                  "workspaces/batchEndpoints/write",        DeleteBatchEndpoint},
  {"POST",   "/{name}/invoke",                           "workspaces/batchEndpoints/write",        InvokeBatchEndpoint},
  {"GET",    "/{name}/jobs",                             "workspaces/batchEndpoints/read",         ListBatchEndpointJobs},
  {"POST",   "/{endpoint}/deployments",                  "workspaces/batchEndpoints/write",        CreateBatchDeployment},
  {"GET",    "/{endpoint}/deployments",                  "workspaces/batchEndpoints/read",         ListBatchDeployments},
  {"GET",    "/{endpoint}/deployments/{name}",           "workspaces/batchEndpoints/read",         GetBatchDeployment},
  {"PATCH",  "/{endpoint}/deployments/{name}",           "workspaces/batchEndpoints/write",        UpdateBatchDeployment},
  {"DELETE", "/{endpoint}/deployments/{name}",           "workspaces/batchEndpoints/write",        DeleteBatchDeployment},
};
// Shared resources (shared_resources_handler.cc, docs/shared-resources.md): server-scope computes
// and datastores a server Owner attaches and grants to workspaces ({workspace} is not {ws}: a
// workspace role never reaches these routes), and the write-only vault their credentials live in.
const Row kSharedRows[] = {
  {"POST",   "/api/v1/shared/computes",                              "server/sharedResources/write", CreateSharedCompute},
  {"GET",    "/api/v1/shared/computes",                              "server/sharedResources/read",  ListShared<ListComputes>},
  {"GET",    "/api/v1/shared/computes/{name}",                       "server/sharedResources/read",  GetShared<GetCompute>},
  {"DELETE", "/api/v1/shared/computes/{name}",                       "server/sharedResources/write", DeleteShared<DeleteCompute>},
  {"GET",    "/api/v1/shared/computes/{name}/grants",                "server/sharedResources/read",  ListSharedGrants},
  {"PUT",    "/api/v1/shared/computes/{name}/grants/{workspace}",    "server/sharedResources/write", GrantShared},
  {"DELETE", "/api/v1/shared/computes/{name}/grants/{workspace}",    "server/sharedResources/write", RevokeShared},
  {"POST",   "/api/v1/shared/datastores",                            "server/sharedResources/write", InShared<CreateDatastore>},
  {"GET",    "/api/v1/shared/datastores",                            "server/sharedResources/read",  ListShared<ListDatastores>},
  {"GET",    "/api/v1/shared/datastores/{name}",                     "server/sharedResources/read",  GetShared<GetDatastore>},
  {"DELETE", "/api/v1/shared/datastores/{name}",                     "server/sharedResources/write", DeleteShared<DeleteDatastore>},
  {"GET",    "/api/v1/shared/datastores/{name}/grants",              "server/sharedResources/read",  ListSharedGrants},
  {"PUT",    "/api/v1/shared/datastores/{name}/grants/{workspace}",  "server/sharedResources/write", GrantShared},
  {"DELETE", "/api/v1/shared/datastores/{name}/grants/{workspace}",  "server/sharedResources/write", RevokeShared},
  {"GET",    "/api/v1/shared/secrets",                               "server/sharedResources/read",  InShared<ListSecrets>},
  {"PUT",    "/api/v1/shared/secrets/{name}",                        "server/sharedResources/write", InShared<SetSecret>},
  {"DELETE", "/api/v1/shared/secrets/{name}",                        "server/sharedResources/write", InShared<DeleteSecret>},
};
// clang-format on

// The workspace a request addresses: the {ws} path parameter of /api/v1/workspaces/{ws}/...,
// else the /workspaces/<ws> prefix of MLflow routes.
const std::string& AddressedWorkspaceName(const http::Request& req) {
  auto it = req.path_params.find("ws");
  return it != req.path_params.end() ? it->second : req.workspace;
}

// For workspace-scoped role assignments.
std::optional<std::int64_t> AddressedWorkspace(ApiContext& ctx, const http::Request& req) {
  if (auto reg = req.path_params.find("reg"); reg != req.path_params.end()) {
    // A registry's scope is its asset workspace (registry_directory.h).
    if (ctx.registries == nullptr) return std::nullopt;
    auto id = ctx.registries->WorkspaceIdOf(reg->second);
    if (!id.ok()) return std::nullopt;
    return *id;
  }
  auto id = ctx.tracking.WorkspaceId(AddressedWorkspaceName(req));
  if (!id.ok()) return std::nullopt;
  return *id;
}

// Bodies anonymous callers may send (they reach only the public routes).
constexpr std::size_t kAnonymousBodyBytes = 64 * 1024;
constexpr std::string_view kPublic = "server/health/read";
constexpr std::string_view kSecretRead = "workspaces/secrets/read";
constexpr std::string_view kScore = "workspaces/onlineEndpoints/score/write";

bool Mutating(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

void AuditRequest(ApiContext& ctx, const http::Request& req, const char* action, int status) {
  auth::AuditEntry e;
  e.time = NowMillis();
  e.user_name = req.user;
  e.remote_addr = req.remote_addr;
  e.method = req.method;
  e.path = req.path;
  e.workspace = AddressedWorkspaceName(req);
  e.action = action;
  e.status = status;
  ctx.auth.Audit(e);
}

// Browser safety, authentication and authorization, from the headers alone: the server runs
// this before reading the body, so a refused request never has its body read or staged.
std::optional<http::Response> Admit(ApiContext& ctx, const BrowserSafety* safety,
                                    const char* action, bool streams_body, http::Request& req) {
  if (req.admitted) return std::nullopt;
  if (safety != nullptr) {
    if (auto refused = safety->Check(req, streams_body)) {
      AuditRequest(ctx, req, action, refused->status);
      return refused;
    }
  }
  if (action == kScore && ctx.endpoints != nullptr) {
    // Scoring bodies have their own limit; a request with one of the endpoint's keys needs no
    // user (the handler's service checks the endpoint's auth_mode).
    req.max_body_bytes = ctx.endpoints->max_body_bytes();
    if (ctx.endpoints->KeyMatches(AddressedWorkspaceName(req), req.path_params["name"],
                                  req.Header("authorization"))) {
      req.user = kEndpointKeyUser;
      req.user_id = 0;
      req.admitted = true;
      return std::nullopt;
    }
  }
  // Public routes do not look at credentials: a wrong password sent to /health neither counts
  // as a failed sign-in nor goes unaudited (docs/security.md).
  if (action == kPublic) {
    req.user = "anonymous";
    req.admitted = true;
    req.max_body_bytes = kAnonymousBodyBytes;
    return std::nullopt;
  }
  auto who = ctx.auth.Authenticate(req.Header("authorization"), req.remote_addr);
  if (!who.ok()) {
    req.user = "anonymous";
    http::Response r = http::ErrorResponse(who.status());
    // Only non-browser clients are invited to send Basic: a browser would prompt for a
    // password and then send it, cached, with every request any page makes to this server.
    if (r.status == 401 && !BrowserSafety::FromBrowser(req)) {
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"mlws\"");
    }
    AuditRequest(ctx, req, action, r.status);
    return r;
  }
  req.user = who->name;
  req.user_id = who->user_id;
  Status allowed = Status::Ok();
  if (auto reg = req.path_params.find("reg");
      reg != req.path_params.end() && ctx.registries != nullptr) {
    // Unknown registries are 404. The built-in registry's public reading applies to references
    // from workspaces (RegistryService::AssetWorkspace); its routes take roles like any other.
    auto known = ctx.registries->Get(reg->second);
    allowed = known.ok() ? ctx.auth.Authorize(*who, action, AddressedWorkspace(ctx, req))
                         : known.status();
    if (allowed.code() == ErrorCode::kPermissionDenied) {
      allowed = Status(ErrorCode::kPermissionDenied,
                       "User '" + who->name + "' may not perform '" + action + "' in registry '" +
                           reg->second +
                           "': ask for a role on the registry (AzureML Registry User to read and "
                           "use its assets, Contributor or Owner to create and share).");
    }
  } else if (registries::IsRegistryWorkspace(AddressedWorkspaceName(req)) ||
             assets::IsSharedWorkspace(AddressedWorkspaceName(req))) {
    // A registry's asset workspace is reached only through /api/v1/registries/...
    allowed = NotFound("Workspace '" + AddressedWorkspaceName(req) + "' not found.");
  } else {
    allowed = ctx.auth.Authorize(*who, action, AddressedWorkspace(ctx, req));
  }
  if (!allowed.ok()) {
    http::Response r = http::ErrorResponse(allowed);
    AuditRequest(ctx, req, action, r.status);
    return r;
  }
  req.admitted = true;
  return std::nullopt;
}

// In front of every handler: admits the request unless the server already did (before the
// body), runs the handler, audits changes and secret reads.
http::Response Guarded(ApiContext& ctx, const BrowserSafety* safety, HandlerFn fn,
                       const char* action, bool streams_body, http::Request& req) {
  if (auto refused = Admit(ctx, safety, action, streams_body, req)) return *refused;
  // Registry references resolved while handling are checked against this caller.
  const auth::Principal caller = PrincipalOf(ctx, req);
  registries::ScopedCaller scoped(&caller);
  http::Response r = fn(ctx, req);
  if (action == std::string_view("workspaces/models/write")) NotifyWebhookEvent(ctx, req, r);
  // Scoring requests are not audited one by one (they are counted in /metrics instead).
  if ((Mutating(req.method) && action != kScore) || action == kSecretRead) {
    AuditRequest(ctx, req, action, r.status);
  }
  return r;
}

void AddRow(http::Router& router, ApiContext& ctx, const BrowserSafety* safety, const Row& row,
            std::string path) {
  http::Route r;
  r.method = row.method;
  r.pattern = std::move(path);
  r.action = row.action;
  r.streams_body = row.streams_body;
  HandlerFn fn = row.fn;
  const char* action = row.action;
  bool streams = row.streams_body;
  r.handler = [&ctx, safety, fn, action, streams](http::Request& req) {
    return Guarded(ctx, safety, fn, action, streams, req);
  };
  r.admit = [&ctx, safety, action, streams](http::Request& req) {
    return Admit(ctx, safety, action, streams, req);
  };
  router.Add(std::move(r));
}

// A lab route: a browser signs in with the `mlws_lab` cookie (an mlws token, set by the studio)
// when it sends no Authorization header; the cookie is read here only.
void AddLabRow(http::Router& router, ApiContext& ctx, const BrowserSafety* safety, const Row& row) {
  http::Route r;
  r.method = row.method;
  r.pattern = row.path;
  r.action = row.action;
  const char* action = row.action;
  auto with_cookie = [](http::Request& req) {
    if (req.Header("authorization")) return;
    auto cookie = req.Header("cookie");
    if (!cookie) return;
    size_t at = cookie->find("mlws_lab=");
    if (at == std::string::npos ||
        (at > 0 && (*cookie)[at - 1] != ' ' && (*cookie)[at - 1] != ';')) {
      return;
    }
    size_t end = cookie->find(';', at);
    std::string token = cookie->substr(at + 9, end == std::string::npos ? end : end - at - 9);
    if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
  };
  r.handler = [&ctx, safety, action, with_cookie](http::Request& req) {
    with_cookie(req);
    return Guarded(ctx, safety, ProxyLab, action, false, req);
  };
  r.admit = [&ctx, safety, action, with_cookie](http::Request& req) {
    with_cookie(req);
    return Admit(ctx, safety, action, false, req);
  };
  router.Add(std::move(r));
}

std::string ServedPath(const Row& row) {
  std::string p = row.path;
  bool mlflow = p.rfind("/api/", 0) != 0 && p != "/health" && p != "/version" && p != "/metrics" &&
                p != "/v1/traces";
  return mlflow ? std::string(kMl) + p : p;
}

}  // namespace

void RegisterRoutes(http::Router& router, ApiContext& ctx, const BrowserSafety* safety) {
  for (const Row& row : kRows) AddRow(router, ctx, safety, row, ServedPath(row));
  for (const Row& row : kArtifactRows) AddRow(router, ctx, safety, row, row.path);
  for (const Row& row : kAssetRows) AddRow(router, ctx, safety, row, row.path);
  for (const Row& row : kJobRows) AddRow(router, ctx, safety, row, row.path);
  for (const Row& row : kLabRows) AddLabRow(router, ctx, safety, row);
  for (const Row& row : kEndpointRows)
    AddRow(router, ctx, safety, row, std::string(kEp) + row.path);
  for (const Row& row : kRegistryRows) AddRow(router, ctx, safety, row, row.path);
  for (const Row& row : kBatchEndpointRows)
    AddRow(router, ctx, safety, row, std::string(kBatchEp) + row.path);
  for (const Row& row : kSharedRows) AddRow(router, ctx, safety, row, row.path);
  http::Route studio;
  studio.method = "GET";
  studio.pattern = "/{path...}";
  studio.action = "server/health/read";
  studio.handler = [&ctx, safety](http::Request& req) {
    return Guarded(ctx, safety, Studio, "server/health/read", false, req);
  };
  studio.admit = [&ctx, safety](http::Request& req) {
    return Admit(ctx, safety, "server/health/read", false, req);
  };
  router.SetFallback(std::move(studio));
}

std::vector<RouteInfo> RouteTable() {
  std::vector<RouteInfo> out;
  for (const Row& row : kRows) {
    out.push_back({row.method, ServedPath(row), row.action, SchemaOf(row.fn)});
  }
  for (const Row& row : kArtifactRows) {
    out.push_back({row.method, row.path, row.action, SchemaOf(row.fn)});
  }
  for (const Row& row : kAssetRows) {
    out.push_back({row.method, row.path, row.action, SchemaOf(row.fn)});
  }
  for (const Row& row : kJobRows) {
    out.push_back({row.method, row.path, row.action, SchemaOf(row.fn)});
  }
  for (const Row& row : kLabRows) {
    out.push_back({row.method, row.path, row.action, SchemaOf(row.fn)});
  }
  for (const Row& row : kEndpointRows) {
    out.push_back({row.method, std::string(kEp) + row.path, row.action, SchemaOf(row.fn)});
  }
  for (const Row& row : kRegistryRows) {
    out.push_back({row.method, row.path, row.action, SchemaOf(row.fn)});
  }
  for (const Row& row : kBatchEndpointRows) {
    out.push_back({row.method, std::string(kBatchEp) + row.path, row.action, SchemaOf(row.fn)});
  }
  for (const Row& row : kSharedRows) {
    out.push_back({row.method, row.path, row.action, SchemaOf(row.fn)});
  }
  return out;
}

}  // namespace mlws::api
