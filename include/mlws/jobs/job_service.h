// JobService: command jobs and the computes they run on.
//
// Create validates a spec completely (fields, ${{…}} references, compute, code, inputs,
// environment) before anything is written; then it creates the job's MLflow run (in the spec's
// experiment, created if missing), logs literal inputs as params and stores the job as Queued
// (run status SCHEDULED). A scheduler thread starts queued jobs when their compute has free slots
// (priority first, FIFO within a priority) through an Executor (see executor.h); a job that ends
// is finalized on a small pool of threads: logs and ./outputs go to the run's artifacts, named
// outputs to the datastore (registered as assets when named), status/exit code/reason recorded.
//
// Cancel and limits.timeout send SIGTERM to the job's process group and SIGKILL after a grace
// period. Recover() (before Start) re-queues queued jobs and re-adopts running ones; a job whose
// process is gone and left no exit code is marked Failed with the reason.
//
// Thread-safe. All calls name the workspace; unknown names are NotFound.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mlws/artifacts/artifact_store.h"
#include "mlws/auth/auth_service.h"
#include "mlws/common/env.h"
#include "mlws/common/status.h"
#include "mlws/jobs/executor.h"
#include "mlws/jobs/job.h"
#include "mlws/jobs/job_assets.h"
#include "mlws/jobs/job_spec.h"
#include "mlws/jobs/slurm_executor.h"
#include "mlws/quotas/admission.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::jobs {

class PipelineRunner;   // pipeline_runner.h: pipeline jobs, whose steps are jobs of this service
class SweepController;  // sweep jobs (src/jobs/sweep_controller.h)
class JobLeases;        // this server's identity and leases (src/jobs/job_lease.h)

struct JobServiceOptions {
  std::string jobs_root;      // <home>/jobs: one folder per job
  int local_slots = 0;        // slots of the built-in "local" compute (0 = number of CPUs)
  int kill_grace_ms = 10000;  // SIGTERM -> SIGKILL
  int finalizer_threads = 4;
  std::string supervisor;   // the mlws-job-supervisor binary ("" = fork from the server)
  std::string python_path;  // prepended to the jobs' PYTHONPATH (the mlws_log helper), "" = none
  // The sandbox (sandbox.h). The constructor runs its self-check; when bwrap is missing or fails
  // it, jobs of users who are not server Owners are refused (503) unless `allow_unsandboxed`.
  bool sandbox = true;  // false: never sandbox (unit tests)
  std::string bwrap = "/usr/bin/bwrap";
  bool allow_unsandboxed = false;  // --allow-unsandboxed-jobs
  // The user jobs run as when the server runs as root (default nobody/nogroup); ignored (jobs
  // keep the server's user, inside their own namespaces) when it does not.
  int job_uid = 65534;
  int job_gid = 65534;
  // Extra host folders bound read-only into every sandbox (e.g. an interpreter outside /usr);
  // the python3 on PATH and $PYENV_ROOT are found by themselves.
  std::vector<std::string> sandbox_read_only;
  // How jobs on `type: slurm` computes reach the cluster (slurm_executor.h).
  SlurmOptions slurm;
  // Several servers on one database (docs/scale-out.md): how long a job's lease lasts without
  // renewal; a dead server's jobs are taken over after it (at once by a server on its host).
  std::int64_t lease_ms = 15000;
  // The clocks (limits.timeout, the kill grace and lease renewals on the monotonic one) and how
  // supervisors are spawned (common/env.h); nullptr = Env::Default(). Only tests set another
  // (a FaultEnv): no flag or setting reaches it.
  Env* env = nullptr;
};

struct LogChunk {
  std::string data;
  std::int64_t next_offset = 0;
  bool finished = false;
};

struct OutputFile {
  std::string output;  // "artifacts" (the run's files: user_logs/, outputs/) or a named output
  std::string path;    // relative to the output
  std::int64_t size = 0;
};

struct ComputeState {
  Compute compute;
  int nodes = 0;  // allocated: busy + idle nodes kept until idle_time_before_scale_down
  int busy = 0;
  int idle = 0;
  int queued = 0;
  int running_jobs = 0;
  double node_seconds = 0;
  double cost = 0;
};

struct CostLine {
  std::string key;   // experiment id / job name
  std::string name;  // experiment name / compute
  double node_seconds = 0;
  double cost = 0;
};

struct CostReport {
  double total = 0;
  double node_seconds = 0;
  std::vector<CostLine> by_experiment;
  std::vector<CostLine> by_job;
};

class JobService {
 public:
  JobService(store::MetadataStore& store, tracking::TrackingService& tracking,
             artifacts::ArtifactStore& artifacts, auth::AuthService& auth, JobAssets& assets,
             JobServiceOptions options);
  ~JobService();
  JobService(const JobService&) = delete;
  JobService& operator=(const JobService&) = delete;

  // Loads queued and running jobs of a previous server (re-adopting live processes).
  Status Recover();
  // Starts the scheduler; `server_url` is what jobs get as MLFLOW_TRACKING_URI (+/workspaces/ws).
  void Start(const std::string& server_url);
  // Stops scheduling; running jobs keep running (a restarted server re-adopts them).
  void Stop();

  StatusOr<Job> Create(const std::string& ws, const nlohmann::json& spec,
                       const auth::Principal& who);
  StatusOr<Job> Get(const std::string& ws, const std::string& name);
  StatusOr<std::vector<Job>> List(const std::string& ws, bool include_archived);
  StatusOr<Job> Cancel(const std::string& ws, const std::string& name);
  StatusOr<Job> SetArchived(const std::string& ws, const std::string& name, bool archived);
  StatusOr<LogChunk> Logs(const std::string& ws, const std::string& name, std::int64_t offset,
                          std::int64_t max_bytes);
  StatusOr<std::vector<OutputFile>> ListOutputs(const std::string& ws, const std::string& name);
  // A local file to stream: output "artifacts" or a named output, `path` inside it.
  StatusOr<std::string> OutputFilePath(const std::string& ws, const std::string& name,
                                       const std::string& output, const std::string& path);

  // Removes the job folders of a deleted workspace (its jobs were canceled first).
  void ForgetWorkspace(std::int64_t workspace_id);
  // Whether jobs run in the sandbox (sandbox.h); when not, `problem` says why.
  bool sandboxed() const { return sandboxed_; }
  // `command` in the job sandbox, as the job user, able to write only `writable_dir` (which it
  // hands to that user): how environment builds run (pip runs packages' build scripts).
  std::vector<std::string> SandboxedCommand(const std::vector<std::string>& command,
                                            const std::string& writable_dir) const;
  // The same, also seeing the host paths `read_only` (read-only, at their own paths): how
  // online-deployment instances see their model, code and environment.
  std::vector<std::string> SandboxedCommand(const std::vector<std::string>& command,
                                            const std::string& writable_dir,
                                            const std::vector<std::string>& read_only) const;

  StatusOr<Compute> CreateCompute(const std::string& ws, const nlohmann::json& spec);
  StatusOr<ComputeState> GetCompute(const std::string& ws, const std::string& name);
  StatusOr<std::vector<ComputeState>> ListComputes(const std::string& ws);
  Status DeleteCompute(const std::string& ws, const std::string& name);
  StatusOr<CostReport> Cost(const std::string& ws);

  // Workspace quotas (quotas/admission.h): asked at submit and before a queued job starts.
  // Set before Start; not owned; null = no quotas.
  void SetAdmissionGate(quotas::AdmissionGate* gate) { gate_ = gate; }
  // Asks the scheduler to look at its queues again now (e.g. a quota changed).
  void Reschedule();

 private:
  friend class SweepController;  // submits trials as this service's jobs
  struct Active;
  struct Pool;

  // The experiment named `name` ("" = "Default"), created when missing.
  StatusOr<tracking::Experiment> EnsureExperiment(const std::string& ws, const std::string& name);
  using Key = std::string;  // "<workspace id>/<job name>"

  StatusOr<Compute> FindCompute(std::int64_t ws_id, const std::string& name);
  Compute LocalCompute(std::int64_t ws_id) const;
  void SchedulerLoop();
  void FinalizerLoop();
  void OnExit(const std::string& key, const ExitRecord& record);
  // A Slurm job waits (Queued, with Slurm's reason) or started on its nodes (Running).
  bool OnSlurmProgress(const std::string& key, const SlurmProgress& progress);
  // Prepares the job folder and starts the process (runs without mu_).
  Status Prepare(const Active& a, Job& job, LaunchSpec& out);
  // Whether `who` may run jobs on this server as it is (unsandboxed: server Owners only).
  Status MayRunJobs(const auth::Principal& who);
  // Starts a batch of jobs, records them in one transaction, then lets them be finalized.
  void LaunchAndRecord(const std::vector<std::shared_ptr<Active>>& batch);
  void Finalize(const Key& key, const ExitRecord& record);
  void Conclude(const Active& a, Job& job, const ExitRecord& record, bool timed_out);
  void Persist(const Job& job);
  std::string WorkspaceName(std::int64_t ws_id);
  ComputeState StateOf(const Compute& c, const std::vector<Job>& jobs, std::int64_t now);

  store::MetadataStore& store_;
  tracking::TrackingService& tracking_;
  artifacts::ArtifactStore& artifacts_;
  auth::AuthService& auth_;
  JobAssets& assets_;
  JobServiceOptions options_;
  std::unique_ptr<Executor> executor_;

  std::mutex mu_;
  std::condition_variable cv_;                          // scheduler: new work, freed slots, stop
  std::map<Key, std::shared_ptr<Active>> active_;       // guarded by mu_: Queued and Running jobs
  std::map<std::string, std::shared_ptr<Pool>> pools_;  // guarded by mu_: "<ws id>/<compute>"
  std::map<Key, ExitRecord> early_exits_;  // guarded by mu_: exits seen before Launch returned
  std::deque<std::pair<Key, ExitRecord>> finalize_queue_;  // guarded by mu_
  std::condition_variable finalize_cv_;
  std::int64_t next_seq_ = 1;  // guarded by mu_
  std::string server_url_;     // set by Start
  bool stopping_ = false;      // guarded by mu_
  bool started_ = false;       // guarded by mu_
  bool kicked_ = false;        // guarded by mu_: the scheduler has work (new job, free slots)
  std::thread scheduler_;
  std::vector<std::thread> finalizers_;
  std::vector<std::thread> starters_;           // guarded by mu_: jobs needing slow preparation
  bool sandboxed_ = false;                      // set once by the constructor
  std::string sandbox_problem_;                 // set once by the constructor: why not sandboxed
  std::vector<std::string> sandbox_read_only_;  // set once by the constructor

  // Pipelines (pipeline_runner.h): told of every job's end, without mu_ held.
  void NotifyEnded(const Job& job);
  std::unique_ptr<PipelineRunner> pipelines_;
  std::unique_ptr<SweepController> sweeps_;  // set once by the constructor
  quotas::AdmissionGate* gate_ = nullptr;    // set once before Start
  // Nodes the workspace's jobs hold or wait for on `compute` (for the gate).
  int NodesTaken(std::int64_t ws_id, const std::string& compute);

  // --- several servers on one database: job leases (job_lease.cc, docs/scale-out.md) ---
 public:
  // This server's id in the store's `servers` table ("<host>:<pid>:<start ms>").
  const std::string& server_id() const;
  // Records the URL this server is reached at in `servers` (--advertise-url).
  Status Advertise(const std::string& url);
  // How long a lease lasts without renewal; online deployments and compute instances use it too.
  std::int64_t LeaseMs() const;
  // Whether `server_id` ran on this host and its process is gone (so its leases need not wait
  // for expiry); never this server.
  bool ServerGone(const std::string& server_id) const;
  // The host part of a server id.
  static std::string HostOfServer(const std::string& server_id);
  const std::string& host() const;

 private:
  Status AdoptJobs(std::vector<Job> jobs, const std::map<Key, std::string>& holders);
  // Why a running job of dead server `holders[key]` cannot be re-adopted here ("" = it can).
  std::string UnreachableReason(const Job& job, const std::map<Key, std::string>& holders) const;
  // The jobs of `batch` whose lease this server (re)claimed; the others are forgotten here.
  std::vector<std::shared_ptr<Active>> KeepClaimed(
      const std::vector<std::shared_ptr<Active>>& batch);
  void LeaseLoop();        // renews this server's leases, takes over dead servers' jobs
  void TakeOverExpired();  // one round of taking over
  void ReleaseLease(const Job& job);
  // Claims the jobs again; false for each one another server holds now (true on a store error).
  std::vector<bool> StillClaimed(const std::vector<Job>& jobs);
  // Drops a prepared job whose lease another server took: not started, not recorded here.
  void ForgetLostJob(const Job& job);
  std::unique_ptr<JobLeases> leases_;  // set once by the constructor
  std::thread lease_thread_;
  std::condition_variable lease_cv_;  // wakes the lease loop (stop)
};

}  // namespace mlws::jobs
