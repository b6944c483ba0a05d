// Handlers of the MLflow 3 routes: logged models (logged_models_handler.cc), v3 traces and
// assessments (traces_v3_handler.cc), and the smaller 3.x routes (mlflow3_misc_handler.cc).
#pragma once

#include "api/handlers.h"

namespace mlws::api {

// logged_models_handler.cc: /api/2.0/mlflow/logged-models..., runs/outputs
http::Response CreateLoggedModel(ApiContext&, http::Request&);
http::Response GetLoggedModel(ApiContext&, http::Request&);
http::Response FinalizeLoggedModel(ApiContext&, http::Request&);
http::Response DeleteLoggedModel(ApiContext&, http::Request&);
http::Response SearchLoggedModels(ApiContext&, http::Request&);
http::Response SetLoggedModelTags(ApiContext&, http::Request&);
http::Response DeleteLoggedModelTag(ApiContext&, http::Request&);
http::Response LogLoggedModelParams(ApiContext&, http::Request&);
http::Response LogOutputs(ApiContext&, http::Request&);

// traces_v3_handler.cc: /api/3.0/mlflow/traces..., traces/link-to-run
http::Response StartTraceV3(ApiContext&, http::Request&);
http::Response GetTraceInfoV3(ApiContext&, http::Request&);
http::Response SearchTracesV3(ApiContext&, http::Request&);
http::Response LinkTracesToRun(ApiContext&, http::Request&);
http::Response CreateAssessment(ApiContext&, http::Request&);
http::Response GetAssessment(ApiContext&, http::Request&);
http::Response UpdateAssessment(ApiContext&, http::Request&);
http::Response DeleteAssessment(ApiContext&, http::Request&);
// traces_otlp_handler.cc: POST /v1/traces (OTLP/HTTP), traces/get, traces/batchGet
http::Response ExportOtlpTraces(ApiContext&, http::Request&);
http::Response GetTraceV3(ApiContext&, http::Request&);
http::Response BatchGetTracesV3(ApiContext&, http::Request&);

// mlflow3_misc_handler.cc: server-info, delete-experiment-tag, webhooks
http::Response ServerInfo(ApiContext&, http::Request&);
http::Response DeleteExperimentTag(ApiContext&, http::Request&);
http::Response CreateWebhook(ApiContext&, http::Request&);
http::Response ListWebhooks(ApiContext&, http::Request&);
http::Response GetWebhook(ApiContext&, http::Request&);
http::Response UpdateWebhook(ApiContext&, http::Request&);
http::Response DeleteWebhook(ApiContext&, http::Request&);
http::Response TestWebhook(ApiContext&, http::Request&);

// eval_datasets_handler.cc: /api/3.0/mlflow/datasets...
http::Response CreateEvalDataset(ApiContext&, http::Request&);
http::Response GetEvalDataset(ApiContext&, http::Request&);
http::Response DeleteEvalDataset(ApiContext&, http::Request&);
http::Response SearchEvalDatasets(ApiContext&, http::Request&);
http::Response UpsertEvalDatasetRecords(ApiContext&, http::Request&);
http::Response GetEvalDatasetRecords(ApiContext&, http::Request&);
http::Response GetEvalDatasetExperimentIds(ApiContext&, http::Request&);

// The model ids a log-metric / log-batch body links metrics to, for the metrics handler: it
// checks them before the run write and links the metrics after it (see LoggedModelService).
Status CheckMetricModels(ApiContext& ctx, const http::Request& req,
                         const std::vector<tracking::ModelMetric>& metrics);
Status LinkMetricModels(ApiContext& ctx, const http::Request& req,
                        const std::vector<tracking::ModelMetric>& metrics);
// The run's model inputs/outputs merged into its JSON ("inputs"/"outputs").
Status AddRunModelIo(ApiContext& ctx, const http::Request& req, const std::string& run_id,
                     nlohmann::json& run);

// MLflow 3 model versions made from a logged model (source "models:/<model_id>" or a model_id
// parameter): the model must exist (else 404) and an empty run_id becomes its source run.
Status ResolveLoggedModelSource(ApiContext& ctx, const http::Request& req,
                                const std::string& source, const std::string& model_id,
                                std::string& run_id);

// webhook_events.cc: after a registry route answered `resp`, queues the MLflow webhook event it
// is (if any) for the workspace's subscribed webhooks. Never blocks, never fails the request.
void NotifyWebhookEvent(ApiContext& ctx, const http::Request& req, const http::Response& resp);

}  // namespace mlws::api
