// EndpointService: managed online endpoints and their deployments, on this server's machine.
//
// An endpoint is a name, an auth mode (key: a primary and a secondary key, regenerable; or
// aml_token: a workspace API token), a traffic split over its deployments and an optional mirror
// share to one shadow deployment. A deployment runs `instance_count` scoring instances: each a
// process of the mlws_scoring runtime (python/mlws_scoring) that imports the user's score.py,
// calls init() once with AZUREML_MODEL_DIR naming the model's files, and answers run(raw_data)
// over a Unix socket (scoring_channel.h). Instances run in the job sandbox (jobs/sandbox.h) under
// mlws-job-supervisor, so they outlive a server restart and are re-adopted by Recover().
//
// Create/update of a deployment validates and resolves everything (model, code, environment)
// before it answers, stores the deployment as Creating/Updating and starts the new instances in
// the background. When all new instances are ready the deployment is Succeeded and the
// instances of the previous generation are retired once their requests in flight finished, so an
// update drops no request. When an instance's init() fails (or it does not become ready in
// time) the deployment is Failed with the reason and the log's tail, the new instances are
// stopped and the previous generation (if any) keeps serving. A crashed instance is restarted;
// one that fails its liveness probe `failure_threshold` times is killed and restarted.
//
// The front door (Score) picks a deployment by the `azureml-model-deployment` header or by the
// traffic split (smooth weighted round robin: 90/10 is exact over every 10 requests), copies the
// mirror share to the shadow deployment (answers dropped), admits at most
// max_concurrent_requests_per_instance × ready instances at once (waiting max_queue_wait_ms for
// a slot, then 429) and answers 408 after request_timeout_ms.
//
// Endpoints and deployments are cached in memory and written through to the MetadataStore; one
// server owns the instances it started (several servers on one database are not supported for
// endpoints yet). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/jobs/job_assets.h"
#include "mlws/jobs/job_service.h"
#include "mlws/serving/minute_stats.h"
#include "mlws/serving/online_spec.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::serving {

struct ServingOptions {
  std::string root;                // <home>/serving: one folder per instance
  std::string python_path;         // the folder holding mlws_scoring (prepended to PYTHONPATH)
  std::string supervisor;          // mlws-job-supervisor
  bool allow_unsandboxed = false;  // --allow-unsandboxed-jobs: run instances without bwrap
  std::size_t max_body_bytes = 1536 * 1024;  // scoring request bodies (413 above)
  int start_timeout_s = 900;                 // environment build + init() of a deployment
  int monitor_interval_ms = 100;
};

struct ScoreRequest {
  std::string workspace;
  std::string endpoint;
  std::string body;
  std::string request_id;            // x-request-id (generated when absent)
  std::string deployment;            // azureml-model-deployment header ("" = by traffic)
  bool key_authenticated = false;    // the Authorization header carried one of the endpoint's keys
  bool token_authenticated = false;  // a signed-in user/token (not the open-mode local user)
};

struct ScoreResult {
  int status = 200;
  std::string body;
  std::string deployment;  // which deployment answered ("" when none)
};

class EndpointService {
 public:
  EndpointService(store::MetadataStore& store, tracking::TrackingService& tracking,
                  jobs::JobAssets& assets, jobs::JobService& jobs, ServingOptions options);
  ~EndpointService();
  EndpointService(const EndpointService&) = delete;
  EndpointService& operator=(const EndpointService&) = delete;

  // Loads endpoints and deployments and re-adopts (or restarts) their instances.
  Status Recover();
  // Starts the monitor; `server_url` is the base of the scoring URIs shown.
  void Start(const std::string& server_url);
  // Stops monitoring and provisioning; instances keep running for the next start.
  void Stop();

  StatusOr<OnlineEndpoint> CreateEndpoint(const std::string& ws, const nlohmann::json& spec);
  StatusOr<OnlineEndpoint> UpdateEndpoint(const std::string& ws, const std::string& name,
                                          const nlohmann::json& spec);
  StatusOr<OnlineEndpoint> GetEndpoint(const std::string& ws, const std::string& name);
  StatusOr<std::vector<OnlineEndpoint>> ListEndpoints(const std::string& ws);
  // Stops every deployment's instances, then forgets the endpoint.
  Status DeleteEndpoint(const std::string& ws, const std::string& name);
  // key_type: "primary" | "secondary".
  StatusOr<OnlineEndpoint> RegenerateKey(const std::string& ws, const std::string& name,
                                         const std::string& key_type);

  // `update`: the deployment must exist (else NotFound); otherwise it must not (else
  // AlreadyExists). Returns at once with provisioning_state Creating/Updating.
  StatusOr<OnlineDeployment> PutDeployment(const std::string& ws, const std::string& endpoint,
                                           const nlohmann::json& spec, bool update,
                                           bool may_run_unsandboxed);
  StatusOr<OnlineDeployment> GetDeployment(const std::string& ws, const std::string& endpoint,
                                           const std::string& name);
  StatusOr<std::vector<OnlineDeployment>> ListDeployments(const std::string& ws,
                                                          const std::string& endpoint);
  // Refused while the deployment takes live traffic.
  Status DeleteDeployment(const std::string& ws, const std::string& endpoint,
                          const std::string& name);
  // The last `lines` lines of the newest instance's log.
  StatusOr<std::string> DeploymentLogs(const std::string& ws, const std::string& endpoint,
                                       const std::string& name, int lines);

  // Whether `authorization` ("Bearer <key>") holds a key of the endpoint (auth_mode key).
  bool KeyMatches(const std::string& ws, const std::string& endpoint,
                  const std::optional<std::string>& authorization);
  ScoreResult Score(const ScoreRequest& req);
  std::size_t max_body_bytes() const;
  std::string ScoringUri(const std::string& ws, const std::string& endpoint) const;
  // Prometheus text of the per-endpoint/deployment metrics (docs/endpoints.md).
  std::string PrometheusText();
  // Each deployment's requests in the last `minutes` (1..60) minutes, per minute, by name
  // (endpoint_stats.cc); NotFound for an unknown endpoint.
  struct DeploymentMinutes {
    std::string deployment;
    std::vector<MinutePoint> points;
  };
  StatusOr<std::vector<DeploymentMinutes>> RecentStats(const std::string& ws,
                                                       const std::string& endpoint, int minutes);

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace mlws::serving
