// JobService: recovery, the scheduler thread, launching and finalizing jobs.
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "jobs/job_files.h"
#include "jobs/job_lease.h"
#include "jobs/job_service_internal.h"
#include "jobs/slurm_compute.h"
#include "jobs/sweep_controller.h"
#include "mlws/common/json.h"
#include "mlws/common/strings.h"
#include "mlws/jobs/pipeline_runner.h"
#include "mlws/jobs/sandbox.h"
#include "mlws/jobs/slurm_executor.h"

extern char** environ;

namespace mlws::jobs {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Environment variables of the server that jobs do not inherit (credentials, server settings):
// the server's own object-store and database credentials are not the job's.
bool Inherited(std::string_view entry) {
  for (std::string_view p :
       {"MLWS_", "MLFLOW_", "AZUREML_", "AWS_", "PGPASSWORD=", "PGPASSFILE=", "SSH_AUTH_SOCK="}) {
    if (entry.substr(0, p.size()) == p) return false;
  }
  return true;
}

bool NeedsSlowStart(const JobSpec& spec) {
  const json& env = spec.environment;
  return env.is_string() ||
         (env.is_object() && (env.contains("conda_file") || env.contains("build")));
}

// With `hard_links`, the files are hard links to the originals (no data copied; fails across
// file systems and on files the server may not link).
Status CopyTree(const fs::path& from, const fs::path& to, bool hard_links = false) {
  std::error_code ec;
  if (fs::is_directory(from, ec)) {
    fs::create_directories(to, ec);
    auto how = fs::copy_options::recursive | fs::copy_options::skip_symlinks;
    if (hard_links) how |= fs::copy_options::create_hard_links;
    fs::copy(from, to, how, ec);
  } else {
    fs::create_directories(to.parent_path(), ec);
    if (hard_links) {
      fs::create_hard_link(from, to, ec);
    } else {
      fs::copy_file(from, to, ec);
    }
  }
  if (ec) return Internal("copying " + from.string() + ": " + ec.message());
  return Status::Ok();
}

// Each bwrap bind re-reads the whole mount table, so n binds cost O(n^2) (1,000 read-only
// inputs, a pipeline's fan-in step: 4 s on an idle machine). A sandboxed job with more mounted
// inputs than this gets them hard-linked into its inputs/ folder, bound read-only once; an input
// that cannot be linked is bound on its own as before.
constexpr size_t kInputBindsMax = 32;

}  // namespace

// Takes queued and running jobs into this server: at start (Recover, job_lease.cc) and when
// another server's leases expired (TakeOverExpired). `holders`: the dead server that held each
// job, for jobs taken over from one (empty at a plain restart).
Status JobService::AdoptJobs(std::vector<Job> jobs, const std::map<Key, std::string>& holders) {
  std::vector<Job> failed;
  std::vector<Job> found_started;
  std::vector<Job> pipelines;
  struct Adoption {
    Key key;
    std::shared_ptr<Active> active;
    std::string exit_path;
    bool cancel = false;
  };
  std::vector<Adoption> adoptions;  // running jobs, watched once their state is stored
  for (auto& j : jobs) {
    if (IsPipelineJob(j)) {
      pipelines.push_back(j);
      continue;
    }
    if (j.status == JobStatus::kQueued && !j.job_dir.empty()) {
      // Launched, but the server died before recording it: adopt it, never start it again.
      if (auto started = ReadStartedFile(j.job_dir + "/exit")) {
        j.status = JobStatus::kRunning;
        j.supervisor_pid = started->supervisor_pid;
        j.supervisor_start = 0;  // unknown: the supervisor is watched by pid
        j.process_pid = started->process_pid;
        j.started_at = started->started_at;
        found_started.push_back(j);
      } else if (auto slurm = ReadSlurmJobFile(j.job_dir + "/exit")) {
        // Submitted to Slurm: adopt it by its Slurm job id. It stays Queued until Slurm runs it.
        SetSlurmJobId(j, slurm->job_id, slurm->array_task);
        found_started.push_back(j);
      }
    }
    if (std::string why = UnreachableReason(j, holders); !why.empty()) {
      if (!found_started.empty() && found_started.back().name == j.name) found_started.pop_back();
      j.status = JobStatus::kFailed;
      j.ended_at = NowMs();
      j.error = why;
      failed.push_back(j);
      continue;
    }
    auto a = std::make_shared<Active>();
    std::string ws = WorkspaceName(j.workspace_id);
    json stored_spec = json::parse(j.spec_json, nullptr, false);
    if (stored_spec.is_object() && stored_spec.contains("type") && stored_spec["type"] == "sweep") {
      sweeps_->Recover(ws, j);  // a sweep parent: its controller continues it
      continue;
    }
    auto spec = ParseJobSpec(stored_spec);
    auto compute = FindCompute(j.workspace_id, j.compute);
    if (ws.empty() || !spec.ok() || (!compute.ok() && j.status == JobStatus::kQueued)) {
      j.status = JobStatus::kFailed;
      j.ended_at = NowMs();
      j.error = !spec.ok() ? "The stored spec no longer parses: " + spec.status().message()
                           : "Its compute '" + j.compute + "' was deleted while it was queued.";
      failed.push_back(j);
      continue;
    }
    a->job = j;
    a->spec = *spec;
    a->ws = ws;
    const std::int64_t pool_ws = compute.ok() ? compute->workspace_id : j.workspace_id;
    a->pool = PoolKey(pool_ws, j.compute);  // a shared compute: the shared workspace's pool
    Key key = JobKey(j.workspace_id, j.name);
    std::lock_guard<std::mutex> lock(mu_);
    a->seq = next_seq_++;
    auto& pool = pools_[a->pool];
    if (!pool) {
      pool = std::make_shared<Pool>();
      pool->ws_id = pool_ws;
      pool->compute = j.compute;
    }
    if (compute.ok()) {
      pool->max_instances = compute->max_instances;
      pool->min_instances = compute->min_instances;
      pool->idle_ms = compute->idle_time_before_scale_down * 1000;
    }
    if (j.status == JobStatus::kQueued && SlurmJobIdOf(j) == 0) {
      pool->queue[{-j.priority, a->seq}] = key;
      active_[key] = a;
      continue;
    }
    a->launched = true;
    a->handle = {j.supervisor_pid, j.supervisor_start, j.process_pid};
    a->handle.slurm_job_id = SlurmJobIdOf(j);
    a->handle.slurm_array_task = SlurmArrayTaskOf(j);
    pool->busy += j.instance_count;
    active_[key] = a;
    if (a->handle.slurm_job_id > 0) {
      spdlog::info("re-adopting job {} (Slurm job {})", j.name, a->handle.slurm_job_id);
    } else {
      spdlog::info("re-adopting job {} (supervisor pid {}, process group {})", j.name,
                   j.supervisor_pid, j.process_pid);
    }
    adoptions.push_back({key, a, j.job_dir + "/exit", j.cancel_requested});
  }
  if (!failed.empty()) RETURN_IF_ERROR(store_.jobs().UpdateJobs(failed));
  if (!found_started.empty()) {
    spdlog::info("{} job(s) had started just before the server stopped: adopted",
                 found_started.size());
    RETURN_IF_ERROR(store_.jobs().UpdateJobs(found_started));
  }
  // Watched only once the Running above is stored: a job that ended before the takeover reports
  // its exit at once, and its Completed must not be overwritten by that Running (it was, and the
  // job then stayed Running for good).
  for (const auto& ad : adoptions) {
    executor_->Adopt(ad.key, ad.active->handle, ad.exit_path);
    if (ad.cancel) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ad.active->term_sent_at = options_.env->MonotonicMillis();
      }
      executor_->Signal(ad.active->handle, SIGTERM);
    }
  }
  for (const auto& j : failed) NotifyEnded(j);
  pipelines_->Recover(pipelines);
  {
    std::lock_guard<std::mutex> lock(mu_);
    kicked_ = true;
  }
  cv_.notify_all();
  return Status::Ok();
}

void JobService::Start(const std::string& server_url) {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  server_url_ = server_url;
  scheduler_ = std::thread([this] { SchedulerLoop(); });
  lease_thread_ = std::thread([this] { LeaseLoop(); });
  for (int i = 0; i < options_.finalizer_threads; ++i) {
    finalizers_.emplace_back([this] { FinalizerLoop(); });
  }
  pipelines_->Start();
  sweeps_->Start();
}

void JobService::Stop() {
  pipelines_->Stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
  }
  sweeps_->Stop();  // before the scheduler: it submits trials
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  finalize_cv_.notify_all();
  lease_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  if (lease_thread_.joinable()) lease_thread_.join();
  for (auto& t : finalizers_) t.join();
  std::vector<std::thread> starters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    starters.swap(starters_);
  }
  for (auto& t : starters) t.join();
  executor_->Stop();
}

void JobService::Persist(const Job& job) {
  Status st = store_.jobs().UpdateJobs({job});
  if (!st.ok()) spdlog::error("job {}: cannot record its state: {}", job.name, st.ToString());
}

void JobService::SchedulerLoop() {
  for (;;) {
    std::vector<std::shared_ptr<Active>> to_launch;
    std::vector<std::pair<ProcessHandle, int>> signals;
    std::vector<Job> impossible;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_ || kicked_; });
      if (stopping_) return;
      kicked_ = false;
      // Durations on the monotonic clock: a wall clock that jumps stops no job early or late.
      std::int64_t now = options_.env->MonotonicMillis();
      std::int64_t wall = options_.env->NowMillis();
      for (auto& [key, a] : active_) {
        if (!a->launched) continue;
        const Job& j = a->job;
        // limits.timeout counts from the start on the node (a Slurm job waits Queued first).
        if (j.timeout_s > 0 && !a->timed_out && a->term_sent_at == 0 &&
            j.status == JobStatus::kRunning && j.started_at > 0) {
          if (a->started_mono == 0) a->started_mono = MonotonicStart(j.started_at, wall, now);
          if (TimeoutDue(a->started_mono, j.timeout_s, now)) {
            a->timed_out = true;
            a->term_sent_at = now;
            signals.push_back({a->handle, SIGTERM});
          }
        }
        if (a->term_sent_at != 0 && !a->kill_sent &&
            now >= a->term_sent_at + options_.kill_grace_ms) {
          a->kill_sent = true;
          signals.push_back({a->handle, SIGKILL});
        }
      }
      for (auto& [pkey, pool] : pools_) {
        // A shared compute's pool holds several workspaces' jobs (docs/shared-resources.md):
        // a job its workspace's quota holds back waits without holding back the jobs of other
        // workspaces behind it (those of its own workspace wait behind it, FIFO).
        std::set<std::int64_t> quota_held;
        for (auto head = pool->queue.begin(); head != pool->queue.end();) {
          auto it = active_.find(head->second);
          if (it == active_.end()) {
            head = pool->queue.erase(head);
            continue;
          }
          Active& a = *it->second;
          if (a.job.instance_count > pool->max_instances) {
            a.job.status = JobStatus::kFailed;
            a.job.ended_at = now;
            a.job.error = fmt::format("It needs {} nodes; compute '{}' now has at most {}.",
                                      a.job.instance_count, pool->compute, pool->max_instances);
            impossible.push_back(a.job);
            head = pool->queue.erase(head);
            active_.erase(it);
            continue;
          }
          const bool shared = pool->ws_id != a.job.workspace_id;
          if (quota_held.contains(a.job.workspace_id)) {
            ++head;
            continue;
          }
          if (gate_ != nullptr) {  // workspace quotas: the head waits, with the reason shown
            // On a shared pool the quota is the job's workspace's, over that workspace's nodes.
            int busy = pool->busy;
            if (shared) {
              busy = 0;
              for (const auto& [k, other] : active_) {
                if (other->pool == pkey && other->job.workspace_id == a.job.workspace_id &&
                    (other->launched || other->launching)) {
                  busy += other->job.instance_count;
                }
              }
            }
            a.job.queue_reason =
                gate_->StartBlocker(a.job.workspace_id, pool->compute, a.job.instance_count, busy);
            if (!a.job.queue_reason.empty()) {
              if (!shared) break;
              quota_held.insert(a.job.workspace_id);
              ++head;
              continue;
            }
          }
          if (pool->busy + a.job.instance_count > pool->max_instances) break;  // FIFO: head waits
          pool->busy += a.job.instance_count;
          a.launching = true;
          to_launch.push_back(it->second);
          head = pool->queue.erase(head);
        }
      }
    }
    for (const auto& [h, sig] : signals) executor_->Signal(h, sig);
    if (!impossible.empty()) (void)store_.jobs().UpdateJobs(impossible);
    for (const auto& j : impossible) NotifyEnded(j);
    std::vector<std::shared_ptr<Active>> fast;
    for (auto& a : to_launch) {
      if (NeedsSlowStart(a->spec)) {
        std::lock_guard<std::mutex> lock(mu_);
        starters_.emplace_back([this, a] { LaunchAndRecord({a}); });
      } else {
        fast.push_back(a);
      }
    }
    if (!fast.empty()) LaunchAndRecord(fast);
  }
}

void JobService::Reschedule() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    kicked_ = true;
  }
  cv_.notify_all();
}

int JobService::NodesTaken(std::int64_t ws_id, const std::string& compute) {
  // The workspace's queued and running jobs on `compute`, which may be a shared compute whose
  // pool also holds other workspaces' jobs.
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (const auto& [key, a] : active_) {
    if (a->job.workspace_id == ws_id && a->job.compute == compute) n += a->job.instance_count;
  }
  return n;
}

void JobService::LaunchAndRecord(const std::vector<std::shared_ptr<Active>>& claimed) {
  // Several servers: only jobs whose lease this server still holds start (job_lease.cc).
  const std::vector<std::shared_ptr<Active>> batch = KeepClaimed(claimed);
  if (batch.empty()) return;
  const std::int64_t claimed_at = NowMs();
  struct Started {
    std::shared_ptr<Active> a;
    Job job;
    Status st;
    LaunchSpec spec;
  };
  std::vector<Started> started;
  started.reserve(batch.size());
  for (const auto& a : batch) {
    Started s{a, {}, Status::Ok(), {}};
    {
      std::lock_guard<std::mutex> lock(mu_);
      s.job = a->job;
    }
    s.st = Prepare(*a, s.job, s.spec);
    if (!s.st.ok()) {
      s.job.status = JobStatus::kFailed;
      s.job.ended_at = NowMs();
      s.job.error = "The job could not start: " + s.st.message();
    }
    started.push_back(std::move(s));
  }
  // A long preparation (an environment build) may have outlived the lease: claim again, so a
  // job another server took over meanwhile is not started here too (job_lease.cc).
  if (NowMs() - claimed_at > LeaseMs() / 3) {
    std::vector<Job> prepared;
    for (const auto& s : started) prepared.push_back(s.job);
    std::vector<bool> keep = StillClaimed(prepared);
    std::vector<Started> kept;
    for (size_t i = 0; i < started.size(); ++i) {
      if (keep[i]) {
        kept.push_back(std::move(started[i]));
      } else {
        ForgetLostJob(started[i].job);
      }
    }
    started.swap(kept);
  }
  // Start every prepared job at once: the supervisors come up in parallel.
  std::vector<LaunchSpec> specs;
  std::vector<size_t> index;
  for (size_t i = 0; i < started.size(); ++i) {
    if (!started[i].st.ok()) continue;
    specs.push_back(std::move(started[i].spec));
    index.push_back(i);
  }
  auto handles = executor_->LaunchMany(specs);
  for (size_t k = 0; k < index.size(); ++k) {
    Started& s = started[index[k]];
    if (!handles[k].ok()) {
      s.st = handles[k].status();
      s.job.status = JobStatus::kFailed;
      s.job.ended_at = NowMs();
      s.job.error = "The job could not start: " + s.st.message();
      continue;
    }
    s.job.supervisor_pid = handles[k]->supervisor_pid;
    s.job.supervisor_start = handles[k]->supervisor_start;
    s.job.process_pid = handles[k]->process_pid;
    if (handles[k]->slurm_job_id > 0) {
      // Queued (with Slurm's reason) until Slurm runs it: OnSlurmProgress.
      SetSlurmJobId(s.job, handles[k]->slurm_job_id, handles[k]->slurm_array_task);
    } else {
      s.job.started_at = handles[k]->started_ms;
    }
  }
  // One transaction for the whole batch. Only then may a job be finalized (an exit seen before
  // waits in early_exits_), so its final state is never overwritten by "Running".
  std::vector<Job> rows;
  rows.reserve(started.size());
  for (const auto& s : started) rows.push_back(s.job);
  Status st = store_.jobs().UpdateJobs(rows);
  if (!st.ok()) spdlog::error("cannot record {} started jobs: {}", rows.size(), st.ToString());

  std::vector<ProcessHandle> to_signal;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& s : started) {
      Active& a = *s.a;
      Key key = JobKey(s.job.workspace_id, s.job.name);
      a.launching = false;
      if (!s.st.ok()) {
        a.job = s.job;
        auto pool = pools_[a.pool];
        if (pool) pool->busy -= s.job.instance_count;
        active_.erase(key);
        kicked_ = true;
        continue;
      }
      a.launched = true;
      if (s.job.started_at > 0) a.started_mono = options_.env->MonotonicMillis();
      a.handle = {s.job.supervisor_pid, s.job.supervisor_start, s.job.process_pid};
      a.handle.slurm_job_id = SlurmJobIdOf(s.job);
      a.handle.slurm_array_task = SlurmArrayTaskOf(s.job);
      s.job.cancel_requested = a.job.cancel_requested;
      a.job = s.job;
      if (s.job.cancel_requested && a.term_sent_at == 0) {
        a.term_sent_at = options_.env->MonotonicMillis();
        to_signal.push_back(a.handle);
      }
      auto e = early_exits_.find(key);
      if (e != early_exits_.end()) {
        finalize_queue_.emplace_back(key, e->second);
        early_exits_.erase(e);
        finalize_cv_.notify_one();
      }
    }
  }
  cv_.notify_all();
  for (const auto& h : to_signal) executor_->Signal(h, SIGTERM);
  for (const auto& s : started) {
    if (!s.st.ok()) NotifyEnded(s.job);
    if (!s.st.ok() && s.job.token_id != 0) {
      (void)auth_.RevokeToken(auth::Principal{s.job.owner_id, s.job.owner, false}, s.job.token_id,
                              true);
    }
  }
}

namespace {

// Gives the job's user its folder (the server keeps the rest of the job folder, 0700).
Status ChownTree(const fs::path& root, int uid, int gid) {
  if (uid < 0) return Status::Ok();
  auto own = [&](const fs::path& p) -> Status {
    if (::lchown(p.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0) {
      return Internal("cannot give " + p.string() + " to the job's user: " + strerror(errno));
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(own(root));
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    RETURN_IF_ERROR(own(it->path()));
  }
  if (ec) return Internal("cannot walk " + root.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

Status JobService::Prepare(const Active& a, Job& job, LaunchSpec& out) {
  const JobSpec& spec = a.spec;
  RETURN_IF_ERROR(MayRunJobs(auth::Principal{job.owner_id, job.owner, job.owner_id == 0}));
  fs::path dir(job.job_dir);
  std::error_code ec;
  fs::remove_all(dir, ec);  // a launch interrupted by a crash leaves a partial folder
  fs::create_directories(dir / "wd" / "outputs", ec);
  fs::create_directories(dir / "user_logs", ec);
  if (ec) return Internal("cannot create the job folder " + dir.string() + ": " + ec.message());
  // Only the server reads the job's folder; the job gets wd/ (and its named outputs) only.
  for (const fs::path& p :
       {dir.parent_path().parent_path(), dir.parent_path(), dir, dir / "user_logs", dir / "wd"}) {
    fs::permissions(p, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  json detail = json::parse(job.detail_json, nullptr, false);
  if (!detail.is_object()) detail = json::object();
  bool sandboxed = sandboxed_;
  int uid = sandboxed ? options_.job_uid : -1;
  int gid = sandboxed ? options_.job_gid : -1;
  SandboxSpec box;
  box.bwrap = options_.bwrap;
  box.helper = options_.supervisor;
  box.work_dir = (dir / "wd").string();
  box.read_only = sandbox_read_only_;
  box.uid = uid;
  box.gid = gid;

  if (!spec.code.empty()) {
    ASSIGN_OR_RETURN(ResolvedPath code, assets_.ResolveCode(a.ws, spec.code));
    if (code.remote) {
      // Staged in from the blob store: the job's folder is local scratch.
      Status fetched = assets_.Fetch(a.ws, code.uri, (dir / "wd").string());
      if (!fetched.ok()) return Status(fetched.code(), "code: " + fetched.message());
    } else {
      std::error_code cec;
      for (const auto& entry : fs::directory_iterator(code.local_path, cec)) {
        RETURN_IF_ERROR(CopyTree(entry.path(), dir / "wd" / entry.path().filename()));
      }
      if (cec) return Internal("cannot read the code snapshot: " + cec.message());
    }
  }
  Bindings b;
  size_t mounted = 0;
  for (const auto& in : spec.inputs) mounted += !in.literal && in.mode != "direct";
  const bool link_inputs = sandboxed && mounted > kInputBindsMax;
  if (link_inputs) {
    fs::create_directories(dir / "inputs", ec);
    box.mounts.push_back({(dir / "inputs").string(), (dir / "inputs").string(), false});
  }
  for (const auto& in : spec.inputs) {
    if (in.literal) {
      b.inputs[in.name] = in.value;
      continue;
    }
    ASSIGN_OR_RETURN(ResolvedPath r, assets_.ResolveInput(a.ws, in));
    if (!r.asset.empty()) (void)assets_.RecordRunInput(a.ws, job.run_id, r);
    fs::path local = dir / "inputs" / in.name;
    if (in.type == "uri_file" && r.remote) {
      local /= r.uri.substr(r.uri.find_last_of('/') + 1);
    } else if (in.type == "uri_file" && fs::is_regular_file(r.local_path, ec)) {
      local /= fs::path(r.local_path).filename();  // the job sees the file under its own name
    }
    fs::create_directories(local.parent_path(), ec);
    if (in.mode == "direct") {
      b.inputs[in.name] = r.uri;
    } else if (r.remote) {
      // A blob store's input (download, ro_mount): streamed into the job's folder before it
      // starts, read-only in the sandbox.
      Status fetched = assets_.Fetch(a.ws, r.uri, local.string());
      if (!fetched.ok()) {
        return Status(fetched.code(), "Input '" + in.name + "': " + fetched.message());
      }
      b.inputs[in.name] = local.string();
      box.mounts.push_back({local.string(), local.string(), false});
    } else if (in.mode == "download") {
      RETURN_IF_ERROR(CopyTree(r.local_path, local));
      b.inputs[in.name] = local.string();
      box.mounts.push_back({local.string(), local.string(), false});
    } else if (link_inputs && CopyTree(r.local_path, local, true).ok()) {
      b.inputs[in.name] = local.string();  // read-only through the one bind of inputs/
    } else if (link_inputs) {
      // Bound over an empty folder (file) of the read-only inputs/, not over a link to follow.
      fs::remove_all(local, ec);
      if (fs::is_regular_file(r.local_path, ec)) {
        std::ofstream(local.string()).flush();
      } else {
        fs::create_directories(local, ec);
      }
      b.inputs[in.name] = local.string();
      box.mounts.push_back({r.local_path, local.string(), false});
    } else {
      fs::create_symlink(r.local_path, local, ec);
      if (ec) return Internal("cannot mount input " + in.name + ": " + ec.message());
      b.inputs[in.name] = local.string();
      // In the sandbox the input is the folder itself, read-only (not a link to follow).
      box.mounts.push_back({r.local_path, local.string(), false});
    }
  }
  for (const auto& out : spec.outputs) {
    fs::path local = dir / "named_outputs" / out.name;
    fs::create_directories(local, ec);
    b.outputs[out.name] = local.string();
    if (out.type == "uri_file") {
      // The command writes the file itself: named like the output's path (else the output).
      // Only the path's last segment matters here (the datastore is the publisher's business).
      std::string uri = out.path.empty() ? "" : OutputUri(out, job.name, "");
      std::string file = uri.substr(uri.find_last_of('/') + 1);
      if (file.empty() || file.find("${{") != std::string::npos) file = out.name;
      b.outputs[out.name] = (local / file).string();
    }
    box.mounts.push_back({local.string(), local.string(), true});
    RETURN_IF_ERROR(ChownTree(local, uid, gid));
  }
  RETURN_IF_ERROR(ChownTree(dir / "wd", uid, gid));
  ASSIGN_OR_RETURN(std::string command, SubstituteCommand(spec.command, b));
  ASSIGN_OR_RETURN(PreparedEnvironment env, assets_.PrepareEnvironment(a.ws, spec.environment));
  detail["environment"] = env.reference;
  if (!env.note.empty()) detail["environment_note"] = env.note;
  detail["resolved_command"] = command;
  if (!env.bin_dir.empty()) box.read_only.push_back(fs::path(env.bin_dir).parent_path().string());
  detail["sandbox"] = sandboxed ? "bwrap" : "none";

  std::string token;
  if (auth_.auth_required() && job.owner_id != 0) {
    // Scoped to this job's workspace and run; revoked when the job ends, expires in any case.
    auto t = auth_.CreateJobToken(auth::Principal{job.owner_id, job.owner, false},
                                  "job " + job.name.substr(0, 100),
                                  auth::TokenScope{job.workspace_id, job.run_id}, 7);
    if (!t.ok()) return t.status();
    token = t->secret;
    job.token_id = t->info.id;
  }

  std::vector<std::string> envv;
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  std::string pythonpath;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (!Inherited(entry)) continue;
    if (entry.rfind("PATH=", 0) == 0) {
      path = std::string(entry.substr(5));
      continue;
    }
    if (entry.rfind("PYTHONPATH=", 0) == 0) {
      pythonpath = std::string(entry.substr(11));
      continue;
    }
    // Sandboxed, the server's home and temporary folder do not exist: the job gets /tmp.
    if (sandboxed && (entry.rfind("HOME=", 0) == 0 || entry.rfind("TMPDIR=", 0) == 0)) continue;
    envv.emplace_back(entry);
  }
  if (sandboxed) envv.push_back("HOME=/tmp");
  if (!env.bin_dir.empty()) path = env.bin_dir + ":" + path;
  if (!options_.python_path.empty()) {
    pythonpath = options_.python_path + (pythonpath.empty() ? "" : ":" + pythonpath);
  }
  std::string tracking_uri = server_url_ + (a.ws == "default" ? "" : "/workspaces/" + a.ws);
  envv.push_back("PATH=" + path);
  if (!pythonpath.empty()) envv.push_back("PYTHONPATH=" + pythonpath);
  envv.push_back("PYTHONUNBUFFERED=1");
  envv.push_back("MLFLOW_TRACKING_URI=" + tracking_uri);
  envv.push_back("MLFLOW_RUN_ID=" + job.run_id);
  envv.push_back("MLFLOW_EXPERIMENT_ID=" + job.experiment_id);
  envv.push_back("MLFLOW_EXPERIMENT_NAME=" + job.experiment_name);
  envv.push_back("AZUREML_RUN_ID=" + job.name);
  envv.push_back("AZUREML_EXPERIMENT_ID=" + job.experiment_id);
  envv.push_back("AZUREML_EXPERIMENT_NAME=" + job.experiment_name);
  envv.push_back("AZUREML_NODE_COUNT=" + std::to_string(job.instance_count));
  envv.push_back("MLWS_URL=" + server_url_);
  envv.push_back("MLWS_WORKSPACE=" + a.ws);
  envv.push_back("MLWS_JOB_NAME=" + job.name);
  if (!token.empty()) {
    envv.push_back("MLFLOW_TRACKING_TOKEN=" + token);
    envv.push_back("MLWS_TOKEN=" + token);
  }
  for (const auto& [k, v] : spec.environment_variables) envv.push_back(k + "=" + v);

  LaunchSpec ls;
  ls.key = JobKey(job.workspace_id, job.name);
  ls.work_dir = (dir / "wd").string();
  ls.log_path = (dir / "user_logs" / "std_log.txt").string();
  ls.exit_path = (dir / "exit").string();
  ls.command = command;
  ls.env = std::move(envv);
  if (sandboxed) ls.sandbox_argv = SandboxArgv(box, {DefaultShell(), "-c", command});
  auto compute = FindCompute(job.workspace_id, job.compute);
  if (compute.ok() && compute->type == "slurm") ls.slurm = SlurmPlacementOf(*compute, job);
  if (ls.slurm) {
    job.started_at = 0;
    job.status = JobStatus::kQueued;  // until Slurm runs it (OnSlurmProgress)
    job.queue_reason = "Submitted to Slurm; waiting for the cluster to start it.";
  } else {
    job.started_at = NowMs();
    job.status = JobStatus::kRunning;
  }
  job.detail_json = DumpJson(detail);
  out = std::move(ls);
  return Status::Ok();
}

void JobService::OnExit(const std::string& key, const ExitRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  finalize_queue_.emplace_back(key, record);
  finalize_cv_.notify_one();
}

void JobService::FinalizerLoop() {
  for (;;) {
    std::pair<Key, ExitRecord> item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      finalize_cv_.wait(lock, [this] { return stopping_ || !finalize_queue_.empty(); });
      if (stopping_) return;
      item = std::move(finalize_queue_.front());
      finalize_queue_.pop_front();
    }
    Finalize(item.first, item.second);
  }
}

// What the job's end means: its status and reason, its files captured, its outputs published.
// May throw (it reads what untrusted code wrote); Finalize turns that into a failed job.
void JobService::Conclude(const Active& a, Job& job, const ExitRecord& rec, bool timed_out) {
  job.ended_at = rec.ended_at > 0 ? rec.ended_at : NowMs();
  // Slurm: when it really started on its nodes (it may have waited in the cluster's queue).
  if (rec.started_at > 0 && rec.started_at <= job.ended_at) job.started_at = rec.started_at;
  if (job.ended_at < job.started_at) job.ended_at = job.started_at;
  if (!rec.lost) job.exit_code = rec.exit_code;
  fs::path dir(job.job_dir);
  std::string log = (dir / "user_logs" / "std_log.txt").string();

  json detail = json::parse(job.detail_json, nullptr, false);
  if (!detail.is_object()) detail = json::object();
  auto run = tracking_.GetRun(a.ws, job.run_id);
  if (run.ok()) {
    std::vector<std::string> notes;
    Status st = CaptureRunFiles(artifacts_, run->info.artifact_uri, job.workspace_id, dir, notes);
    if (!st.ok()) notes.push_back("run files not captured: " + st.message());
    for (auto& n : notes) detail["notes"].push_back(ToValidUtf8(n));
    if (!notes.empty()) {
      AppendToLog(log, "mlws: " + std::to_string(notes.size()) +
                           " note(s) about the job's files, see the job's notes\n");
    }
  }

  if (job.cancel_requested) {
    job.status = JobStatus::kCanceled;
    job.error = "Canceled.";
  } else if (timed_out) {
    job.status = JobStatus::kFailed;
    job.error =
        fmt::format("The job exceeded limits.timeout ({} s) and was stopped.", job.timeout_s);
  } else if (rec.lost) {
    job.status = JobStatus::kFailed;
    job.error =
        !rec.reason.empty()
            ? rec.reason
            : "The job's process is gone and left no exit code (its supervisor was killed, e.g. "
              "the machine restarted while the job ran).";
  } else if (rec.exit_code == 0) {
    job.status = JobStatus::kCompleted;
    for (const auto& out : a.spec.outputs) {
      auto published = assets_.PublishOutput(
          a.ws, job.name, out, (dir / "named_outputs" / out.name).string(), job.owner, job.run_id);
      if (published.ok()) {
        detail["outputs"][out.name]["uri"] = published->uri;
        if (!published->asset.empty()) detail["outputs"][out.name]["asset"] = published->asset;
      } else if (!out.asset_name.empty()) {
        job.status = JobStatus::kFailed;
        job.error = fmt::format("Output '{}' could not be registered as {}: {}", out.name,
                                out.asset_name, published.status().message());
      } else if (!out.path.empty() || out.type == "uri_file") {
        job.status = JobStatus::kFailed;
        job.error = fmt::format("Output '{}' could not be published: {}", out.name,
                                published.status().message());
      }
    }
  } else {
    job.status = JobStatus::kFailed;
    job.error = rec.signal != 0 ? fmt::format("The job was killed by signal {}.", rec.signal)
                                : fmt::format("The job exited with code {}.", rec.exit_code);
    if (!rec.reason.empty()) job.error += " " + rec.reason;
    std::string tail = ToValidUtf8(LastLines(log, 20));
    RedactTokens(tail);
    if (!tail.empty()) job.error += "\nLast lines of user_logs/std_log.txt:\n" + tail;
  }
  job.detail_json = DumpJson(detail);
}

void JobService::Finalize(const Key& key, const ExitRecord& rec) {
  std::shared_ptr<Active> a;
  Job job;
  bool timed_out = false;
  std::string cancel_reason;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(key);
    if (it == active_.end()) return;
    a = it->second;
    if (!a->launched) {
      early_exits_[key] = rec;
      return;
    }
    job = a->job;
    timed_out = a->timed_out;
    cancel_reason = a->cancel_reason;
  }
  fs::path dir(job.job_dir);
  // A finalization that crashed the server must not be retried forever on every restart.
  fs::path marker = dir / "finalizing";
  int attempts = BumpCounterFile(marker);
  try {
    if (attempts >= 2) {
      job.ended_at = rec.ended_at > 0 ? rec.ended_at : NowMs();
      if (!rec.lost) job.exit_code = rec.exit_code;
      job.status = JobStatus::kFailed;
      job.error =
          "Recording the job's end failed twice (the server stopped while doing it); its "
          "files were not captured.";
    } else {
      Conclude(*a, job, rec, timed_out);
    }
  } catch (const std::exception& e) {
    job.status = JobStatus::kFailed;
    job.error = "The job's results could not be recorded: " + ToValidUtf8(e.what());
    spdlog::error("job {}: finalizing failed: {}", job.name, ToValidUtf8(e.what()));
  }
  if (job.status == JobStatus::kCanceled && !cancel_reason.empty()) job.error = cancel_reason;
  if (job.token_id != 0) {
    Status st =
        auth_.RevokeToken(auth::Principal{job.owner_id, job.owner, false}, job.token_id, true);
    if (!st.ok()) spdlog::warn("job {}: cannot revoke its token: {}", job.name, st.ToString());
  }
  {
    std::lock_guard<std::mutex> write(a->write_mu);
    Persist(job);
    a->final_written = true;
  }
  std::error_code ec;
  fs::remove(marker, ec);
  {
    std::lock_guard<std::mutex> lock(mu_);
    a->job = job;
    auto pool = pools_[a->pool];
    if (pool) {
      pool->busy -= job.instance_count;
      pool->released.emplace_back(NowMs(), job.instance_count);
    }
    active_.erase(key);
    kicked_ = true;
  }
  cv_.notify_all();
  NotifyEnded(job);
  sweeps_->Kick();  // a trial may have ended
}

}  // namespace mlws::jobs
