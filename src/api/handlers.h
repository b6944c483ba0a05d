// Handler functions, one file per resource; the route table in routes.cc maps paths to them.
// A handler parses its input (RequestDecoder), calls a service, renders the result.
#pragma once

#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "mlws/api/request_decoder.h"
#include "mlws/http/request.h"
#include "mlws/tracking/entities.h"

namespace mlws::api {

using HandlerFn = http::Response (*)(ApiContext&, http::Request&);

// Helpers shared by handlers.
http::Response Reply(const StatusOr<nlohmann::json>& result);
http::Response Reply(const Status& status);  // {} on success
// view_type / run_view_type: enum name or number; absent = ACTIVE_ONLY.
StatusOr<tracking::ViewType> ParseViewTypeParam(const RequestDecoder& d, const std::string& name);
// The caller as the authorization layer identified it (req.user / req.user_id).
auth::Principal PrincipalOf(ApiContext& ctx, const http::Request& req);
// run_id, falling back to the deprecated run_uuid.
StatusOr<std::string> RunIdParam(const RequestDecoder& d);

// health_handler.cc
http::Response Health(ApiContext&, http::Request&);
http::Response Version(ApiContext&, http::Request&);
http::Response PrometheusMetrics(ApiContext&, http::Request&);
// assets_handler.cc: /api/v1/workspaces/{ws}/{models,data,environments,components}
http::Response CreateAsset(ApiContext&, http::Request&);
http::Response ListAssets(ApiContext&, http::Request&);
http::Response GetAsset(ApiContext&, http::Request&);
http::Response ListAssetVersions(ApiContext&, http::Request&);
http::Response GetAssetVersion(ApiContext&, http::Request&);
http::Response UpdateAsset(ApiContext&, http::Request&);
http::Response ArchiveAsset(ApiContext&, http::Request&);
http::Response RestoreAsset(ApiContext&, http::Request&);
http::Response DeleteAsset(ApiContext&, http::Request&);
http::Response AssetLineage(ApiContext&, http::Request&);
http::Response RunLineage(ApiContext&, http::Request&);
http::Response AddRunInput(ApiContext&, http::Request&);
http::Response BuildEnvironment(ApiContext&, http::Request&);
http::Response EnvironmentBuildLog(ApiContext&, http::Request&);
// datastores_handler.cc: datastores, their files, uploads
http::Response CreateDatastore(ApiContext&, http::Request&);
http::Response ListDatastores(ApiContext&, http::Request&);
http::Response GetDatastore(ApiContext&, http::Request&);
http::Response DeleteDatastore(ApiContext&, http::Request&);
http::Response ListDatastoreFiles(ApiContext&, http::Request&);
http::Response DownloadDatastoreFile(ApiContext&, http::Request&);
http::Response GetUpload(ApiContext&, http::Request&);
http::Response PutUpload(ApiContext&, http::Request&);
// studio_handler.cc: the studio's static files (the router's fallback route)
http::Response Studio(ApiContext&, http::Request&);
// openapi_handler.cc
http::Response OpenApi(ApiContext&, http::Request&);

// workspaces_handler.cc
http::Response CreateWorkspace(ApiContext&, http::Request&);
http::Response ListWorkspaces(ApiContext&, http::Request&);
http::Response GetWorkspace(ApiContext&, http::Request&);
http::Response DeleteWorkspace(ApiContext&, http::Request&);

// users_handler.cc, tokens_handler.cc, role_assignments_handler.cc, audit_handler.cc
http::Response WhoAmI(ApiContext&, http::Request&);
http::Response CreateUser(ApiContext&, http::Request&);
http::Response ListUsers(ApiContext&, http::Request&);
http::Response DeleteUser(ApiContext&, http::Request&);
http::Response CreateToken(ApiContext&, http::Request&);
http::Response ListTokens(ApiContext&, http::Request&);
http::Response RevokeToken(ApiContext&, http::Request&);
http::Response ListRoles(ApiContext&, http::Request&);
http::Response CreateRole(ApiContext&, http::Request&);
http::Response DeleteRole(ApiContext&, http::Request&);
http::Response CreateRoleAssignment(ApiContext&, http::Request&);
http::Response ListRoleAssignments(ApiContext&, http::Request&);
http::Response DeleteRoleAssignment(ApiContext&, http::Request&);
http::Response ListAudit(ApiContext&, http::Request&);

// groups_handler.cc
http::Response CreateGroup(ApiContext&, http::Request&);
http::Response ListGroups(ApiContext&, http::Request&);
http::Response DeleteGroup(ApiContext&, http::Request&);
http::Response AddGroupMember(ApiContext&, http::Request&);
http::Response RemoveGroupMember(ApiContext&, http::Request&);

// secrets_handler.cc
http::Response ListSecrets(ApiContext&, http::Request&);
http::Response SetSecret(ApiContext&, http::Request&);
http::Response GetSecret(ApiContext&, http::Request&);
http::Response DeleteSecret(ApiContext&, http::Request&);

// experiments_handler.cc
http::Response CreateExperiment(ApiContext&, http::Request&);
http::Response GetExperiment(ApiContext&, http::Request&);
http::Response GetExperimentByName(ApiContext&, http::Request&);
http::Response SearchExperiments(ApiContext&, http::Request&);
http::Response UpdateExperiment(ApiContext&, http::Request&);
http::Response DeleteExperiment(ApiContext&, http::Request&);
http::Response RestoreExperiment(ApiContext&, http::Request&);
http::Response SetExperimentTag(ApiContext&, http::Request&);
http::Response SearchDatasets(ApiContext&, http::Request&);

// runs_handler.cc
http::Response CreateRun(ApiContext&, http::Request&);
http::Response GetRun(ApiContext&, http::Request&);
http::Response UpdateRun(ApiContext&, http::Request&);
http::Response DeleteRun(ApiContext&, http::Request&);
http::Response RestoreRun(ApiContext&, http::Request&);
http::Response SetTag(ApiContext&, http::Request&);
http::Response DeleteTag(ApiContext&, http::Request&);
http::Response LogParam(ApiContext&, http::Request&);
http::Response LogInputs(ApiContext&, http::Request&);
http::Response LogModel(ApiContext&, http::Request&);
http::Response SearchRuns(ApiContext&, http::Request&);

// metrics_handler.cc (log-batch is the hot path: parsed with simdjson)
http::Response LogBatch(ApiContext&, http::Request&);
http::Response LogMetric(ApiContext&, http::Request&);
http::Response GetMetricHistory(ApiContext&, http::Request&);
http::Response GetMetricHistoryBulkInterval(ApiContext&, http::Request&);

// artifacts_handler.cc
http::Response UploadArtifact(ApiContext&, http::Request&);
http::Response DownloadArtifact(ApiContext&, http::Request&);
http::Response ListProxiedArtifacts(ApiContext&, http::Request&);
http::Response DeleteArtifact(ApiContext&, http::Request&);
http::Response ListRunArtifacts(ApiContext&, http::Request&);
http::Response GetArtifact(ApiContext&, http::Request&);
http::Response CreateMultipartUpload(ApiContext&, http::Request&);
http::Response CompleteMultipartUpload(ApiContext&, http::Request&);
http::Response AbortMultipartUpload(ApiContext&, http::Request&);

// registered_models_handler.cc, model_versions_handler.cc (MLflow model registry)
StatusOr<std::string> VersionParam(const RequestDecoder& d);
StatusOr<assets::RegistrySearch> RegistrySearchParams(const RequestDecoder& d,
                                                      std::int64_t default_max);
http::Response CreateRegisteredModel(ApiContext&, http::Request&);
http::Response GetRegisteredModel(ApiContext&, http::Request&);
http::Response RenameRegisteredModel(ApiContext&, http::Request&);
http::Response UpdateRegisteredModel(ApiContext&, http::Request&);
http::Response DeleteRegisteredModel(ApiContext&, http::Request&);
http::Response SearchRegisteredModels(ApiContext&, http::Request&);
http::Response GetLatestVersions(ApiContext&, http::Request&);
http::Response SetRegisteredModelTag(ApiContext&, http::Request&);
http::Response DeleteRegisteredModelTag(ApiContext&, http::Request&);
http::Response SetRegisteredModelAlias(ApiContext&, http::Request&);
http::Response DeleteRegisteredModelAlias(ApiContext&, http::Request&);
http::Response GetModelVersionByAlias(ApiContext&, http::Request&);
http::Response CreateModelVersion(ApiContext&, http::Request&);
http::Response GetModelVersion(ApiContext&, http::Request&);
http::Response UpdateModelVersion(ApiContext&, http::Request&);
http::Response DeleteModelVersion(ApiContext&, http::Request&);
http::Response TransitionModelVersionStage(ApiContext&, http::Request&);
http::Response GetModelVersionDownloadUri(ApiContext&, http::Request&);
http::Response SearchModelVersions(ApiContext&, http::Request&);
http::Response SetModelVersionTag(ApiContext&, http::Request&);
http::Response DeleteModelVersionTag(ApiContext&, http::Request&);

// traces_handler.cc
http::Response StartTrace(ApiContext&, http::Request&);
http::Response EndTrace(ApiContext&, http::Request&);
http::Response GetTraceInfo(ApiContext&, http::Request&);
http::Response SearchTraces(ApiContext&, http::Request&);
http::Response DeleteTraces(ApiContext&, http::Request&);
http::Response SetTraceTag(ApiContext&, http::Request&);
http::Response DeleteTraceTag(ApiContext&, http::Request&);

// jobs_handler.cc: jobs, computes, cost (jobs::JobService)
http::Response CreateJob(ApiContext&, http::Request&);
http::Response ListJobs(ApiContext&, http::Request&);
http::Response GetJob(ApiContext&, http::Request&);
http::Response GetJobLogs(ApiContext&, http::Request&);
http::Response CancelJob(ApiContext&, http::Request&);
http::Response ArchiveJob(ApiContext&, http::Request&);
http::Response RestoreJob(ApiContext&, http::Request&);
http::Response ListJobOutputs(ApiContext&, http::Request&);
http::Response DownloadJobOutput(ApiContext&, http::Request&);
http::Response CreateCompute(ApiContext&, http::Request&);
http::Response ListComputes(ApiContext&, http::Request&);
http::Response GetCompute(ApiContext&, http::Request&);
http::Response DeleteCompute(ApiContext&, http::Request&);
http::Response GetCost(ApiContext&, http::Request&);
// quotas_handler.cc, cost_handler.cc: quotas and cost over time (quotas::QuotaService)
http::Response GetQuota(ApiContext&, http::Request&);
http::Response SetQuota(ApiContext&, http::Request&);
http::Response GetCostSeries(ApiContext&, http::Request&);
http::Response GetServerCostSeries(ApiContext&, http::Request&);

// schedules_handler.cc: schedules (schedules::ScheduleService)
http::Response CreateSchedule(ApiContext&, http::Request&);
http::Response ListSchedules(ApiContext&, http::Request&);
http::Response GetSchedule(ApiContext&, http::Request&);
http::Response UpdateSchedule(ApiContext&, http::Request&);
http::Response EnableSchedule(ApiContext&, http::Request&);
http::Response DisableSchedule(ApiContext&, http::Request&);
http::Response DeleteSchedule(ApiContext&, http::Request&);
// The user name the admission step gives a scoring request that carried one of the endpoint's
// keys (':' never appears in user names).
inline constexpr const char* kEndpointKeyUser = "endpoint-key:";
// online_endpoints_handler.cc: /api/v1/workspaces/{ws}/online-endpoints[/{name}[/score|keys]]
http::Response CreateOnlineEndpoint(ApiContext&, http::Request&);
http::Response ListOnlineEndpoints(ApiContext&, http::Request&);
http::Response GetOnlineEndpoint(ApiContext&, http::Request&);
http::Response UpdateOnlineEndpoint(ApiContext&, http::Request&);
http::Response DeleteOnlineEndpoint(ApiContext&, http::Request&);
http::Response GetOnlineEndpointKeys(ApiContext&, http::Request&);
http::Response RegenerateOnlineEndpointKeys(ApiContext&, http::Request&);
http::Response ScoreOnlineEndpoint(ApiContext&, http::Request&);
// online_deployments_handler.cc: .../online-endpoints/{endpoint}/deployments[/{name}[/logs]]
http::Response CreateOnlineDeployment(ApiContext&, http::Request&);
http::Response ListOnlineDeployments(ApiContext&, http::Request&);
http::Response GetOnlineDeployment(ApiContext&, http::Request&);
http::Response UpdateOnlineDeployment(ApiContext&, http::Request&);
http::Response DeleteOnlineDeployment(ApiContext&, http::Request&);
http::Response GetOnlineDeploymentLogs(ApiContext&, http::Request&);
// batch_endpoints_handler.cc: /api/v1/workspaces/{ws}/batch-endpoints[/{name}[/invoke|jobs]]
// and .../batch-endpoints/{endpoint}/deployments[/{name}]
http::Response CreateBatchEndpoint(ApiContext&, http::Request&);
http::Response ListBatchEndpoints(ApiContext&, http::Request&);
http::Response GetBatchEndpoint(ApiContext&, http::Request&);
http::Response UpdateBatchEndpoint(ApiContext&, http::Request&);
http::Response DeleteBatchEndpoint(ApiContext&, http::Request&);
http::Response InvokeBatchEndpoint(ApiContext&, http::Request&);
http::Response ListBatchEndpointJobs(ApiContext&, http::Request&);
http::Response CreateBatchDeployment(ApiContext&, http::Request&);
http::Response ListBatchDeployments(ApiContext&, http::Request&);
http::Response GetBatchDeployment(ApiContext&, http::Request&);
http::Response UpdateBatchDeployment(ApiContext&, http::Request&);
http::Response DeleteBatchDeployment(ApiContext&, http::Request&);
// endpoint_stats_handler.cc: .../online-endpoints/{name}/stats
http::Response GetOnlineEndpointStats(ApiContext&, http::Request&);
// compute_instances_handler.cc: .../computes/{name}/start|stop|restart, and the lab proxy
// /workspaces/{ws}/computes/{name}/lab/{path...}
http::Response StartComputeInstance(ApiContext&, http::Request&);
http::Response StopComputeInstance(ApiContext&, http::Request&);
http::Response RestartComputeInstance(ApiContext&, http::Request&);
http::Response CreateLabSession(ApiContext&, http::Request&);  // sets the mlws_lab cookie
http::Response ProxyLab(ApiContext&, http::Request&);
// The computes routes' hook: answers a create of a `type: computeinstance` spec (when
// `create_body` is set), or a GET/DELETE of an existing instance; nullopt = not an instance.
std::optional<http::Response> ComputeInstanceCompute(ApiContext& ctx, http::Request& req,
                                                     const nlohmann::json* create_body);
// An instance's entry in the computes list; nullopt = not an instance.
std::optional<nlohmann::json> ComputeInstanceJson(ApiContext& ctx, const std::string& ws,
                                                  const std::string& name);

}  // namespace mlws::api
