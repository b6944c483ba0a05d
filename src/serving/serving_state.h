// The EndpointService's in-memory state, shared by its three files: endpoint_service.cc (specs,
// CRUD, keys), instances.cc (processes: launch, readiness, probes, restarts, retirement) and
// front_door.cc (scoring, mirroring, metrics). Internal to src/serving/.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mlws/jobs/executor.h"
#include "mlws/serving/endpoint_service.h"
#include "mlws/serving/minute_stats.h"
#include "mlws/serving/scoring_channel.h"
#include "serving/stage_in.h"

namespace mlws::serving {

enum class InstanceState { kStarting, kReady, kRetiring, kExited };

struct Instance {
  InstanceRecord rec;
  std::string key;  // the executor's key of the current process
  // Replaced on every launch; callers copy it under mu and call it without mu.
  std::shared_ptr<ScoringChannel> channel;
  InstanceState state = InstanceState::kStarting;
  std::int64_t launched_ms = 0;
  std::int64_t last_probe_ms = 0;
  int probe_failures = 0;
  int launches = 0;
  int in_flight = 0;  // guarded by State::mu
};

// Latency buckets (ms) of the per-deployment histogram.
inline constexpr std::array<double, 12> kLatencyBucketsMs = {1,   2.5, 5,    10,   25,   50,
                                                             100, 250, 1000, 2500, 5000, 10000};

struct DeploymentMetrics {
  std::map<int, std::uint64_t> requests_by_status;
  std::array<std::uint64_t, kLatencyBucketsMs.size()> buckets{};
  std::uint64_t latency_count = 0;
  double latency_sum_ms = 0;
  std::uint64_t restarts = 0;
  std::uint64_t mirrored = 0;
  MinuteStats minutes;  // the last hour, per minute (GET …/online-endpoints/{name}/stats)
};

struct LiveDeployment {
  OnlineDeployment d;
  std::int64_t ws_id = 0;
  std::string ws;
  std::vector<std::shared_ptr<Instance>> instances;
  int in_flight = 0;  // admitted requests, all instances
  int waiting = 0;    // requests waiting for a slot (admission)
  std::int64_t provision_started_ms = 0;
  DeploymentMetrics metrics;
  std::int64_t stats_flushed_ms = 0;  // the last write of metrics.minutes to the store
  std::string sandbox_error;          // set when the instances cannot be sandboxed
  // Whether this server holds the deployment's lease and supervises its instances. A
  // deployment another server runs is mirrored from the store (deployment_leases.cc): its
  // instances are reached through their sockets, never launched, signalled or persisted here.
  bool owned = true;
};

struct LiveEndpoint {
  OnlineEndpoint e;
  std::int64_t ws_id = 0;
  std::string ws;
  std::map<std::string, std::shared_ptr<LiveDeployment>> deployments;
  std::map<std::string, int> swrr_current;  // smooth weighted round robin state
  std::uint64_t mirror_counter = 0;
};

struct EndpointService::State {
  State(store::MetadataStore& st, tracking::TrackingService& tr, jobs::JobAssets& as,
        jobs::JobService& jb, ServingOptions o)
      : store(st), tracking(tr), assets(as), jobs(jb), options(std::move(o)) {}

  store::MetadataStore& store;
  tracking::TrackingService& tracking;
  jobs::JobAssets& assets;
  jobs::JobService& jobs;
  ServingOptions options;
  std::unique_ptr<jobs::Executor> executor;

  std::mutex mu;
  // Admission waits on `cv` (a slot freed, an instance became ready, stop); the monitor on
  // `monitor_cv` (an exit to handle, stop), so a finished request wakes no thread unless one is
  // waiting for a slot (`slot_waiters`).
  std::condition_variable cv;
  std::condition_variable monitor_cv;
  int slot_waiters = 0;  // guarded by mu
  // "<ws id>/<endpoint>" -> endpoint
  std::map<std::string, std::shared_ptr<LiveEndpoint>> endpoints;   // guarded by mu
  std::map<std::string, std::weak_ptr<Instance>> by_key;            // guarded by mu
  std::map<std::string, std::weak_ptr<LiveDeployment>> dep_of_key;  // guarded by mu
  // Exits reported by the executor, handled by the monitor (own lock: the executor may call
  // back while Launch() runs under mu).
  std::mutex exit_mu;
  std::deque<std::pair<std::string, jobs::ExitRecord>> exits;  // guarded by exit_mu
  std::string server_url;
  bool stopping = false;  // guarded by mu
  std::thread monitor;
  std::vector<std::thread> provisioners;  // guarded by mu
  std::uint64_t launch_seq = 0;           // guarded by mu

  // Mirrored requests: copied to the shadow deployment by one thread; dropped when it lags.
  std::deque<std::pair<std::shared_ptr<LiveDeployment>, std::string>> mirror_queue;  // mu
  std::condition_variable mirror_cv;
  std::thread mirror_thread;

  // --- helpers (callers hold mu unless noted) ---
  static std::string EndpointKey(std::int64_t ws_id, const std::string& name) {
    return std::to_string(ws_id) + "/" + name;
  }
  StatusOr<std::shared_ptr<LiveEndpoint>> FindEndpoint(std::int64_t ws_id, const std::string& name);
  Status PersistEndpoint(const LiveEndpoint& e);      // without mu
  Status PersistDeployment(const LiveDeployment& d);  // with or without mu

  // instances.cc
  void Provision(std::shared_ptr<LiveDeployment> dep, int generation);  // without mu
  Status LaunchInstance(LiveDeployment& dep, Instance& inst);           // with mu
  // A new copy of dep's files when they are not on this machine (nullopt when they are); reads
  // dep under mu, stages without it. Publish the copy under mu.
  StatusOr<std::optional<StagedCopy>> StageIfMissing(const std::shared_ptr<LiveDeployment>& dep);
  // Starts a crashed instance again (its files are here).
  void Restart(const std::shared_ptr<LiveDeployment>& dep,
               const std::shared_ptr<Instance>& inst);  // with mu
  void MonitorLoop();
  void OnExit(const std::string& key, const jobs::ExitRecord& rec);      // executor thread
  void HandleExit(const std::string& key, const jobs::ExitRecord& rec);  // with mu
  void Tick();                                                           // with mu
  // Retires the instances of generations other than `keep` (or of `only` when set).
  void RetireGeneration(LiveDeployment& dep, int keep_generation);  // with mu
  void RetireOnly(LiveDeployment& dep, int generation);             // with mu
  void RetireAll(LiveDeployment& dep);                              // with mu
  // Waits (releasing mu) until the requests a deployment already admitted or queued finished,
  // at most its request timeout plus queue wait; the caller has made it unreachable first.
  void Drain(LiveDeployment& dep, std::unique_lock<std::mutex>& lock);
  void SyncRecords(LiveDeployment& dep);                                               // with mu
  void FailProvisioning(LiveDeployment& dep, int generation, const std::string& why);  // mu
  void Adopt(LiveDeployment& dep);                                                     // with mu
  std::string LogTail(const std::string& dir, int lines) const;

  // front_door.cc
  void MirrorLoop();

  // deployment_leases.cc: several servers on one database (docs/scale-out.md).
  // Claims a deployment's lease for this server (true: held now). Without mu.
  bool ClaimDeployment(std::int64_t ws_id, const std::string& id);
  // Releases it (a deleted deployment). Without mu.
  void ReleaseDeployment(std::int64_t ws_id, const std::string& id);
  // The holder of a deployment's lease when another live server holds it ("" otherwise).
  std::string OtherHolder(std::int64_t ws_id, const std::string& id);  // without mu
  // Loads endpoints and deployments created or changed by other servers. Without mu.
  void SyncFromStore();
  // SyncFromStore when this server does not know the endpoint (or the named deployment) yet.
  void SyncIfUnknown(std::int64_t ws_id, const std::string& endpoint,
                     const std::string& deployment = "");
  // Renews this server's leases, syncs, and takes over deployments whose holder died (every
  // lease/3, from the monitor). Without mu.
  void LeaseRound();
  // Reach a deployment of another server through its instances' sockets (with mu).
  void AttachRemote(LiveDeployment& dep);
  // This server takes `dep` over: re-adopts its instances or starts them again (with mu).
  void TakeOver(const std::shared_ptr<LiveDeployment>& dep, const std::string& holder);
  // The Creating/Updating state a stopped server left behind, settled (with mu).
  static void SettleInterrupted(LiveDeployment& dep);
  std::int64_t lease_round_ms = 0;  // monitor thread only
  std::mutex sync_mu;               // one SyncFromStore at a time; taken before mu

  // endpoint_stats.cc: the per-minute stats in the store (online_minute_stats). Flush writes
  // the deployments whose stats changed and were last written a minute ago or more (all changed
  // ones when `force`); callers hold neither mu nor stats_mu. Restore: with mu, at recovery.
  // DeleteStats: without mu, after the deployment left the maps.
  void FlushStats(bool force);
  void RestoreStats(LiveDeployment& dep);
  void DeleteStats(std::int64_t ws_id, const std::string& endpoint, const std::string& name);
  // Taken before mu: a flush that read a deployment's stats finishes its write before the
  // deployment's row is deleted, so no row outlives its deployment.
  std::mutex stats_mu;
};

std::string InstanceLogPath(const std::string& dir);
std::string DeploymentId(const std::string& endpoint, const std::string& name);

}  // namespace mlws::serving
