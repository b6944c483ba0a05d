// ComputeInstanceService: personal JupyterLab servers ("compute instances", Azure ML's
// `type: computeinstance`), see docs/compute.md#compute-instances.
//
// An instance is a row of the workspace's computes (type "computeinstance"); its spec_json holds
// the user's spec and what the service needs to find the process again after a restart (owner,
// shared users, the desired state, the supervisor's pid and start time, the lab's port and
// token). Each running instance is one `jupyter lab` under the job supervisor, in the job sandbox
// (bubblewrap), listening on 127.0.0.1:<port> with a random token only the server knows. Its
// root folder is the owner's folder of the workspace's default datastore
// (workspaceblobstore/Users/<owner>/), so notebooks outlive the instance; its environment has
// MLFLOW_TRACKING_URI = the server's /workspaces/<ws> and, when sign-in is required, a
// workspace-scoped token of the owner (revoked when the instance stops).
//
// States: Starting -> Running (the lab answers /api/status) -> Stopping -> Stopped; Failed when
// the lab exits on its own or does not become ready within the start timeout. A monitor thread
// checks readiness, idle shutdown (Jupyter's last_activity and traffic through the proxy) and
// start/stop schedules (cron triggers, src/schedules). A restarted server re-adopts running labs
// by their supervisor; a lab that ended meanwhile is reported Stopped.
//
// Thread-safe. Errors: InvalidArgument (bad spec, with the field), ResourceAlreadyExists (the
// name is in use), NotFound, PermissionDenied (the lab of someone else), TemporarilyUnavailable
// (no JupyterLab installed, no sandbox, not running).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlws/assets/asset_service.h"
#include "mlws/auth/auth_service.h"
#include "mlws/common/status.h"
#include "mlws/jobs/job_service.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::compute_instances {

struct ComputeInstanceOptions {
  std::string root;          // per-instance folders (log, exit file): <home>/computeinstances
  std::string jupyter_venv;  // a virtualenv with jupyterlab; empty = instances cannot start
  std::string supervisor;    // mlws-job-supervisor
  bool allow_unsandboxed = false;
  int start_timeout_s = 300;
  int monitor_interval_ms = 250;
  int activity_poll_ms = 2000;  // how often a running lab's /api/status is read
};

// What the API shows of one instance.
struct InstanceView {
  std::string name;
  std::string state;  // Starting | Running | Stopping | Stopped | Failed
  std::string owner;
  std::vector<std::string> shared_with;
  std::string size;
  std::string description;
  std::int64_t idle_time_before_shutdown_s = 0;  // 0 = never
  nlohmann::json schedules = nlohmann::json::array();
  std::string lab_path;   // /workspaces/<ws>/computes/<name>/lab/
  std::string files_uri;  // azureml://datastores/workspaceblobstore/paths/Users/<owner>
  std::string last_stop_reason;
  std::string error;
  std::int64_t created_at = 0;
  std::int64_t started_at = 0;
  std::int64_t last_activity_ms = 0;
};

// Where the proxy sends a lab request.
struct LabTarget {
  int port = 0;
  std::string token;
  std::string base_path;        // /workspaces/<ws>/computes/<name>/lab/
  std::function<void()> touch;  // records proxied traffic (idle shutdown)
};

class ComputeInstanceService {
 public:
  ComputeInstanceService(store::MetadataStore& store, tracking::TrackingService& tracking,
                         assets::AssetService& assets, jobs::JobService& jobs,
                         auth::AuthService& auth, ComputeInstanceOptions options);
  ~ComputeInstanceService();

  // Loads the instances of every workspace and re-adopts their labs (before Start).
  Status Recover();
  // Starts the monitor; `server_url` is what labs use as MLFLOW_TRACKING_URI's base.
  void Start(const std::string& server_url);
  // Stops the monitor; running labs keep running and are re-adopted by the next start.
  void Stop();

  static bool IsInstanceSpec(const nlohmann::json& spec);
  // Creates and starts an instance owned by `who` (409 when the name is in use).
  StatusOr<InstanceView> Create(const std::string& ws, const nlohmann::json& spec,
                                const auth::Principal& who);
  StatusOr<InstanceView> Get(const std::string& ws, const std::string& name);
  StatusOr<std::vector<InstanceView>> List(const std::string& ws);
  bool Exists(const std::string& ws, const std::string& name);
  StatusOr<InstanceView> StartInstance(const std::string& ws, const std::string& name);
  StatusOr<InstanceView> StopInstance(const std::string& ws, const std::string& name);
  StatusOr<InstanceView> Restart(const std::string& ws, const std::string& name);
  // Stops the lab (if running) and removes the instance; its files stay in the datastore.
  Status Delete(const std::string& ws, const std::string& name);

  // The lab of a Running instance for `who`: its owner, a user it is shared with, or (when
  // `is_admin`) a server Owner. PermissionDenied for anyone else.
  StatusOr<LabTarget> Lab(const std::string& ws, const std::string& name,
                          const auth::Principal& who, bool is_admin);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace mlws::compute_instances
