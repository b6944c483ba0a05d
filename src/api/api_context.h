// What handlers need: the services they call. Owned by the server wiring; outlives all requests.
#pragma once

#include <string>

#include "mlws/artifacts/artifact_store.h"
#include "mlws/artifacts/storage_quota.h"
#include "mlws/assets/asset_service.h"
#include "mlws/assets/registry_service.h"
#include "mlws/assets/shared_resources.h"
#include "mlws/auth/auth_service.h"
#include "mlws/auth/secret_service.h"
#include "mlws/compute_instances/compute_instance_service.h"
#include "mlws/http/metrics.h"
#include "mlws/jobs/job_service.h"
#include "mlws/quotas/quota_service.h"
#include "mlws/registries/registry_service.h"
#include "mlws/schedules/schedule_service.h"
#include "mlws/serving/batch_service.h"
#include "mlws/serving/endpoint_service.h"
#include "mlws/tracking/eval_dataset_service.h"
#include "mlws/tracking/logged_model_service.h"
#include "mlws/tracking/trace_v3_service.h"
#include "mlws/tracking/tracking_service.h"
#include "mlws/tracking/webhook_service.h"

namespace mlws::api {

struct ApiContext {
  tracking::TrackingService& tracking;
  artifacts::ArtifactStore& artifacts;
  auth::AuthService& auth;
  auth::SecretService& secrets;
  assets::RegistryService& registry;
  assets::AssetService& assets;
  http::RequestMetrics& metrics;
  std::string version;
  std::string web_root;  // the studio's built files; empty = not available
  jobs::JobService& jobs;
  tracking::LoggedModelService& logged_models;  // MLflow 3
  tracking::TraceV3Service& traces_v3;          // MLflow 3
  tracking::WebhookService& webhooks;           // MLflow 3
  tracking::EvalDatasetService& eval_datasets;  // MLflow 3
  artifacts::StorageQuota* quota = nullptr;     // per-workspace storage limit; null = none
  // Online endpoints (null = not served).
  serving::EndpointService* endpoints = nullptr;
  schedules::ScheduleService* schedules = nullptr;    // null = not wired (503)
  registries::RegistryService* registries = nullptr;  // null = not wired (503)
  quotas::QuotaService* quotas = nullptr;             // quotas and cost series; null = 503
  serving::BatchService* batch = nullptr;             // batch endpoints; null = not wired (503)
  // Compute instances (docs/compute.md#compute-instances); null = not served.
  compute_instances::ComputeInstanceService* compute_instances = nullptr;
  // Shared (server-scope) computes and datastores (docs/shared-resources.md); null = 503.
  assets::SharedResources* shared = nullptr;
};

}  // namespace mlws::api
