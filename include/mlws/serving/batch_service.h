// BatchService: Azure ML batch endpoints and their model deployments, scored as ordinary jobs.
//
// An endpoint is a name and a default deployment; a deployment names a model (registered or
// uploaded), an optional driver (code_configuration: init() / run(mini_batch)), an environment,
// a compute and the scoring settings (batch_spec.h). Create/update validate and resolve the model,
// code, environment and compute before anything is written.
//
// Invoke turns a deployment and an input (a data asset, a datastore URI; the CLI uploads local
// folders) into a command job of the JobService: `python3 -m mlws_batch` (python/mlws_batch) over
// the input's files, with the model and the input as job inputs and the predictions as the job's
// output `score`. The job is like any other: queued on the deployment's compute, sandboxed,
// visible in `job list/show/stream/download`, its output downloadable and registrable. It is
// tagged mlws.batch_endpoint / mlws.batch_deployment, which is how ListJobs finds it.
//
// Endpoints and deployments are written through to the MetadataStore (no cache): several servers
// on one database see the same endpoints. Each create, update and delete is one
// MetadataStore::Atomically transaction with the endpoint locked, so of concurrent creates of one
// name, on any of those servers, exactly one succeeds. Thread-safe. Errors: NotFound (unknown
// endpoint, deployment, model, data, compute), InvalidArgument (specs, inputs), AlreadyExists.
#pragma once

#include <string>
#include <vector>

#include "mlws/auth/auth_service.h"
#include "mlws/common/status.h"
#include "mlws/jobs/job.h"
#include "mlws/jobs/job_assets.h"
#include "mlws/jobs/job_service.h"
#include "mlws/serving/batch_spec.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::serving {

struct BatchInvokeRequest {
  std::string deployment;       // "" = the endpoint's default deployment
  std::string input;            // azureml:<data>:<v> / @latest, or azureml://datastores/... URI
  std::string input_type;       // uri_folder (default) | uri_file
  std::string experiment_name;  // "" = the endpoint's name
};

class BatchService {
 public:
  BatchService(store::MetadataStore& store, tracking::TrackingService& tracking,
               jobs::JobAssets& assets, jobs::JobService& jobs);

  StatusOr<BatchEndpoint> CreateEndpoint(const std::string& ws, const nlohmann::json& spec);
  StatusOr<BatchEndpoint> UpdateEndpoint(const std::string& ws, const std::string& name,
                                         const nlohmann::json& spec);
  StatusOr<BatchEndpoint> GetEndpoint(const std::string& ws, const std::string& name);
  StatusOr<std::vector<BatchEndpoint>> ListEndpoints(const std::string& ws);
  // Deletes the endpoint and its deployments (jobs it started stay).
  Status DeleteEndpoint(const std::string& ws, const std::string& name);

  // `update`: the deployment must exist (else NotFound); otherwise it must not (AlreadyExists).
  // The first deployment of an endpoint becomes its default; `set_default` makes this one it.
  StatusOr<BatchDeployment> PutDeployment(const std::string& ws, const std::string& endpoint,
                                          const nlohmann::json& spec, bool update,
                                          bool set_default);
  StatusOr<BatchDeployment> GetDeployment(const std::string& ws, const std::string& endpoint,
                                          const std::string& name);
  StatusOr<std::vector<BatchDeployment>> ListDeployments(const std::string& ws,
                                                         const std::string& endpoint);
  // Refused for the default deployment while the endpoint has others.
  Status DeleteDeployment(const std::string& ws, const std::string& endpoint,
                          const std::string& name);

  // Starts a scoring job (queued; see the contract above).
  StatusOr<jobs::Job> Invoke(const std::string& ws, const std::string& endpoint,
                             const BatchInvokeRequest& req, const auth::Principal& who);
  // The jobs Invoke started for the endpoint, newest first.
  StatusOr<std::vector<jobs::Job>> ListJobs(const std::string& ws, const std::string& endpoint);

 private:
  StatusOr<std::int64_t> EndpointWs(const std::string& ws, const std::string& endpoint);
  Status Resolve(const std::string& ws, BatchDeployment& d);

  store::MetadataStore& store_;
  tracking::TrackingService& tracking_;
  jobs::JobAssets& assets_;
  jobs::JobService& jobs_;
};

}  // namespace mlws::serving
