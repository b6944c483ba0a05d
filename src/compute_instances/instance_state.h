// Internal to src/compute_instances/: the live state of each instance and the service's state.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "compute_instances/instance_internal.h"
#include "mlws/assets/asset_service.h"
#include "mlws/assets/datastore_io.h"
#include "mlws/compute_instances/compute_instance_service.h"
#include "mlws/jobs/executor.h"
#include "mlws/jobs/resource_lease_holder.h"
#include "mlws/schedules/schedule_service.h"

namespace mlws::compute_instances {

// On an s3:// destination: how often a running lab's files are written back to the bucket (they
// are at each stop too).
inline constexpr std::int64_t kFileSyncMs = 60000;

struct Live {
  std::int64_t ws_id = 0;
  std::string ws;
  jobs::Compute row;
  nlohmann::json user_spec;
  InstanceSpec spec;
  std::string owner;
  std::int64_t owner_id = 0;
  std::string state = "Stopped";
  std::string error;
  std::string last_stop_reason;
  bool restart_pending = false;
  std::int64_t started_at = 0;
  std::int64_t ready_at = 0;
  std::int64_t stop_sent_at = 0;
  std::int64_t jupyter_activity = 0;
  std::atomic<std::int64_t> proxy_activity{0};  // set by the proxy without mu
  std::int64_t next_poll = 0;
  std::vector<std::int64_t> next_fire;  // per schedule; 0 = none
  std::string dir;
  std::string key;
  jobs::ProcessHandle handle;
  int port = 0;
  std::string lab_token;
  std::int64_t mlflow_token_id = 0;
  // This server holds the instance's lease and supervises its lab. Only while Starting, Running
  // or Stopping; every other instance (stopped, or run by another server) mirrors its row.
  bool owned = false;
  // On a blob store (s3:// destination): where Users/<owner> is; the lab works on a copy in
  // <dir>/work/files, written back at each stop and every sync interval (next_sync).
  std::optional<assets::DatastoreLocation> remote_files;
  std::int64_t next_sync = 0;
  std::string FilesCopy() const { return dir + "/work/files"; }
  // Its owner's files in the workspace's default datastore (Users/<owner>).
  std::string FilesUri() const {
    return std::string("azureml://datastores/") + assets::kDefaultDatastore + "/paths/Users/" +
           owner;
  }

  std::string BasePath() const { return "/workspaces/" + ws + "/computes/" + row.name + "/lab/"; }
  std::int64_t Activity() const {
    return std::max({jupyter_activity, proxy_activity.load(), ready_at, started_at});
  }
};

struct ComputeInstanceService::State {
  State(store::MetadataStore& st, tracking::TrackingService& tr, assets::AssetService& as,
        jobs::JobService& jb, auth::AuthService& au, ComputeInstanceOptions o)
      : store(st), tracking(tr), assets(as), jobs(jb), auth(au), options(std::move(o)) {}

  store::MetadataStore& store;
  tracking::TrackingService& tracking;
  assets::AssetService& assets;
  jobs::JobService& jobs;
  auth::AuthService& auth;
  ComputeInstanceOptions options;
  // Start/stop schedules' clock: the schedules' own (MLWS_SCHEDULE_CLOCK_FILE lets a test move
  // it forward; docs/schedules.md), so a test waits on a state, not on the wall clock.
  schedules::Clock schedule_clock = schedules::ClockFromEnvironment();
  std::unique_ptr<jobs::Executor> executor;
  std::string server_url;

  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, std::shared_ptr<Live>> live;  // "<ws id>/<name>"; guarded by mu
  std::mutex exit_mu;
  std::deque<std::pair<std::string, jobs::ExitRecord>> exits;  // guarded by exit_mu
  bool stopping = false;                                       // guarded by mu
  std::thread monitor;
  std::uint64_t launch_seq = 0;  // guarded by mu
  jobs::ResourceLeaseHolder leases{store, jobs, "compute_instance"};
  std::int64_t lease_round_ms = 0;          // monitor thread only
  std::int64_t requests_ms = 0;             // monitor thread only
  std::atomic<std::uint64_t> deletions{0};  // instances deleted through this server

  static std::string Key(std::int64_t ws_id, const std::string& name) {
    return std::to_string(ws_id) + "/" + name;
  }

  StatusOr<std::shared_ptr<Live>> Find(const std::string& ws, const std::string& name);

  Status Persist(Live& l);

  InstanceView View(const Live& l) const;

  void ComputeFires(Live& l, std::int64_t /*now*/);

  // Launches the lab (with mu). On failure the instance is Failed with the reason.
  Status Launch(Live& l);

  void RevokeToken(Live& l);

  // Asks the lab to end (with mu); the exit makes it Stopped.
  void SendStop(Live& l, const std::string& reason);

  StatusOr<InstanceView> StartLocked(Live& l, const std::string& why);

  void HandleExit(const std::string& key, const jobs::ExitRecord& rec);

  void Poll(const std::shared_ptr<Live>& lp, std::int64_t now, std::unique_lock<std::mutex>& lock);

  void Tick(std::unique_lock<std::mutex>& lock);

  void MonitorLoop();

  // --- several servers on one database (instance_sharing.cc, docs/scale-out.md) ---
  // The instance a stored row describes, not owned; nullptr when the row is unreadable.
  std::shared_ptr<Live> FromRow(std::int64_t ws_id, const std::string& ws, const jobs::Compute& c,
                                std::int64_t now);
  // Re-reads the workspace's instances (without mu): the ones this server does not run mirror
  // their rows; instances created elsewhere appear, deleted ones go. A no-op without leases.
  Status Refresh(const std::string& ws);
  Status RefreshWorkspace(std::int64_t ws_id, const std::string& ws);
  // Makes this server the one that runs `l` (with mu), when it can: true when it already does
  // or won the free lease (a live instance of a dead server is taken over). False when another
  // live server runs it: then `action` ("stop", "start", "restart", "delete"; "" = none) is
  // recorded for that server to carry out.
  StatusOr<bool> Own(Live& l, const std::string& action);
  // A live instance of server `holder` (gone) becomes this server's: its lab re-adopted when it
  // runs on this host, started again here otherwise (with mu).
  void TakeOver(Live& l, const std::string& holder);
  // After a change (with mu): a stopped or failed instance's lease is released.
  void Settle(Live& l);
  // The instance's pending request row is dropped (carried out or stale).
  void DropRequest(const Live& l);
  // Monitor: lease renewal and takeover of instances whose server is gone (with mu held by
  // `lock`, released while reading the store).
  void LeaseRound(std::unique_lock<std::mutex>& lock);
  // Monitor: carries out the requests other servers recorded for instances this server runs.
  void CarryOutRequests();
  void CarryOut(const std::shared_ptr<Live>& lp, const std::string& action, const std::string& by);
  Status StopLocked(Live& l, const std::string& reason);
  StatusOr<InstanceView> RestartLocked(Live& l);
  // Where the lab's root folder is (on a blob store: a fresh copy of it under dir).
  StatusOr<std::string> StageFiles(Live& l);
  // Writes the lab's copy `dir` back to `at` (logged on failure); `what` names the instance.
  Status SyncFiles(const assets::DatastoreLocation& at, const std::string& dir,
                   const std::string& what);
  // Stops, revokes and removes an instance this server runs (with mu).
  Status DeleteLocked(const std::shared_ptr<Live>& lp);
  // Records `action` for `holder`, the live server running `l` (one row per instance).
  Status Ask(const Live& l, const std::string& action, const std::string& holder);
  // The view of an instance after `action` was sent to the server that runs it.
  InstanceView Requested(const Live& l, const std::string& action) const;
  // Why the lab of a mirrored instance cannot be reached from here ("" = it can: same host).
  std::string RemoteLab(const Live& l);
};

// Whether an instance in state `s` has a lab process (and so an owner).
inline bool IsLiveState(const std::string& s) {
  return s == "Starting" || s == "Running" || s == "Stopping";
}

// The last `bytes` of the file at `path` ("" when unreadable).
std::string LogTail(const std::string& path, size_t bytes);

}  // namespace mlws::compute_instances
