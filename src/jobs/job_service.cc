// JobService: submission, queries, cancel, archive, logs and outputs. The scheduler, launch and
// finalization live in scheduler.cc; computes and cost in computes.cc.
#include "mlws/jobs/job_service.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "jobs/job_files.h"
#include "jobs/job_lease.h"
#include "jobs/job_service_internal.h"
#include "jobs/sweep_controller.h"
#include "mlws/common/json.h"
#include "mlws/jobs/pipeline_runner.h"
#include "mlws/jobs/sandbox.h"
#include "mlws/jobs/slurm_executor.h"

namespace mlws::jobs {

using nlohmann::json;
namespace fs = std::filesystem;

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

JobService::JobService(store::MetadataStore& store, tracking::TrackingService& tracking,
                       artifacts::ArtifactStore& artifacts, auth::AuthService& auth,
                       JobAssets& assets, JobServiceOptions options)
    : store_(store),
      tracking_(tracking),
      artifacts_(artifacts),
      auth_(auth),
      assets_(assets),
      options_(std::move(options)) {
  if (options_.local_slots <= 0) {
    options_.local_slots = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  sweeps_ = std::make_unique<SweepController>(store_, tracking_, *this);
  leases_ =
      std::make_unique<JobLeases>(store_.leases(), std::max<std::int64_t>(300, options_.lease_ms));
  auto on_exit = [this](const std::string& key, const ExitRecord& rec) { OnExit(key, rec); };
  options_.slurm.on_progress = [this](const std::string& key, const SlurmProgress& p) {
    return OnSlurmProgress(key, p);
  };
  if (options_.env == nullptr) options_.env = Env::Default();
  executor_ = NewExecutorWithSlurm(NewLocalExecutor(on_exit, options_.supervisor, options_.env),
                                   NewSlurmExecutor(on_exit, options_.slurm));
  if (geteuid() != 0) options_.job_uid = options_.job_gid = -1;
  if (options_.sandbox) {
    const char* path = std::getenv("PATH");
    const char* pyenv = std::getenv("PYENV_ROOT");
    sandbox_read_only_ = InterpreterPaths(path ? path : "", pyenv ? pyenv : "");
    if (!options_.python_path.empty()) sandbox_read_only_.push_back(options_.python_path);
    for (const auto& p : options_.sandbox_read_only) sandbox_read_only_.push_back(p);
    SandboxSpec check;
    check.bwrap = options_.bwrap;
    check.helper = options_.supervisor;
    check.read_only = sandbox_read_only_;
    check.uid = options_.job_uid;
    check.gid = options_.job_gid;
    Status st = SandboxSelfCheck(check);
    sandboxed_ = st.ok();
    if (sandboxed_) {
      spdlog::info("jobs run sandboxed ({}; as uid {})", options_.bwrap,
                   options_.job_uid >= 0 ? std::to_string(options_.job_uid) : "of the server");
    } else {
      sandbox_problem_ = st.message();
    }
  } else {
    sandbox_problem_ = "the sandbox is disabled";
  }
  pipelines_ = std::make_unique<PipelineRunner>(store_, tracking_, assets_, *this);
  if (!sandboxed_) {
    spdlog::warn(
        "jobs cannot be sandboxed: {}. {}", sandbox_problem_,
        options_.allow_unsandboxed
            ? "--allow-unsandboxed-jobs is set: jobs run unsandboxed as the server's user"
            : "Only server Owners may run jobs (start with --allow-unsandboxed-jobs to let "
              "everyone run unsandboxed jobs)");
  }
}

std::vector<std::string> JobService::SandboxedCommand(const std::vector<std::string>& command,
                                                      const std::string& writable_dir) const {
  return SandboxedCommand(command, writable_dir, {});
}

std::vector<std::string> JobService::SandboxedCommand(
    const std::vector<std::string>& command, const std::string& writable_dir,
    const std::vector<std::string>& read_only) const {
  if (options_.job_uid >= 0 && ::chown(writable_dir.c_str(), static_cast<uid_t>(options_.job_uid),
                                       static_cast<gid_t>(options_.job_gid)) != 0) {
    spdlog::warn("cannot hand {} to uid {}: {}", writable_dir, options_.job_uid,
                 std::strerror(errno));
  }
  SandboxSpec spec;
  spec.bwrap = options_.bwrap;
  spec.helper = options_.supervisor;
  spec.work_dir = writable_dir;
  spec.read_only = sandbox_read_only_;
  spec.read_only.insert(spec.read_only.end(), read_only.begin(), read_only.end());
  spec.uid = options_.job_uid;
  spec.gid = options_.job_gid;
  return SandboxArgv(spec, command);
}

Status JobService::MayRunJobs(const auth::Principal& who) {
  if (sandboxed_ || options_.allow_unsandboxed || who.open_mode) return Status::Ok();
  if (auth_.Authorize(who, "server/roleAssignments/write", std::nullopt).ok()) {
    return Status::Ok();  // an Owner: may run anything on this machine anyway
  }
  return Status(ErrorCode::kTemporarilyUnavailable,
                "Jobs cannot be sandboxed on this server (" + sandbox_problem_ +
                    "), so only server Owners may run them; an admin can install bubblewrap or "
                    "start the server with --allow-unsandboxed-jobs.");
}

void JobService::ForgetWorkspace(std::int64_t workspace_id) {
  std::error_code ec;
  fs::remove_all(fs::path(options_.jobs_root) / std::to_string(workspace_id), ec);
  if (ec)
    spdlog::warn("cannot remove the job folders of workspace {}: {}", workspace_id, ec.message());
}

JobService::~JobService() { Stop(); }

void JobService::NotifyEnded(const Job& job) {
  if (IsTerminal(job.status)) ReleaseLease(job);
  if (pipelines_) pipelines_->OnJobEnded(job);
}

std::string JobService::WorkspaceName(std::int64_t ws_id) {
  auto list = tracking_.ListWorkspaces();
  if (list.ok()) {
    for (const auto& w : *list) {
      if (w.id == ws_id) return w.name;
    }
  }
  return "";
}

StatusOr<tracking::Experiment> JobService::EnsureExperiment(const std::string& ws,
                                                            const std::string& name) {
  std::string exp_name = name.empty() ? "Default" : name;
  auto exp = tracking_.GetExperimentByName(ws, exp_name);
  if (!exp.ok() && exp.status().code() == ErrorCode::kResourceDoesNotExist) {
    exp = tracking_.CreateExperiment(ws, exp_name, "", {});
    if (!exp.ok() && exp.status().code() == ErrorCode::kResourceAlreadyExists) {
      exp = tracking_.GetExperimentByName(ws, exp_name);
    }
  }
  return exp;
}

StatusOr<Job> JobService::Create(const std::string& ws, const json& spec_json,
                                 const auth::Principal& who) {
  if (IsPipelineSpec(spec_json)) {
    ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
    RETURN_IF_ERROR(MayRunJobs(who));
    return pipelines_->Create(ws, ws_id, spec_json, who);
  }
  // Sweeps are parents of ordinary jobs (sweep_controller.h).
  if (spec_json.is_object() && spec_json.contains("type") && spec_json["type"] == "sweep") {
    return sweeps_->Create(ws, spec_json, who);
  }
  ASSIGN_OR_RETURN(JobSpec spec, ParseJobSpec(spec_json));
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  RETURN_IF_ERROR(MayRunJobs(who));
  std::string name = spec.name.empty() ? GenerateJobName() : spec.name;
  if (auto existing = store_.jobs().GetJob(ws_id, name); existing.ok()) {
    return AlreadyExists(
        fmt::format("A job named '{}' already exists in workspace '{}'.", name, ws));
  }
  auto compute = FindCompute(ws_id, spec.compute);
  if (!compute.ok()) {
    if (compute.status().code() != ErrorCode::kResourceDoesNotExist) return compute.status();
    return InvalidArgument(fmt::format(
        "Compute '{}' does not exist in workspace '{}': create it with `mlws compute create -f "
        "cluster.yml`, or leave 'compute' out to run on 'local'.",
        spec.compute, ws));
  }
  if (spec.instance_count > compute->max_instances) {
    return InvalidArgument(
        fmt::format("resources.instance_count is {}, but compute '{}' has at most {} nodes.",
                    spec.instance_count, compute->name, compute->max_instances));
  }
  if (gate_ != nullptr) {  // workspace quotas: refused here, nothing is created
    RETURN_IF_ERROR(gate_->AdmitSubmit(ws_id, compute->name, spec.instance_count,
                                       NodesTaken(ws_id, compute->name)));
  }

  // Everything the job refers to must exist now, not when it starts.
  json detail = {{"inputs", json::object()}, {"outputs", json::object()}, {"notes", spec.notes}};
  for (const auto& in : spec.inputs) {
    if (in.literal) {
      detail["inputs"][in.name] = {{"type", in.type}, {"value", in.value}};
      continue;
    }
    ASSIGN_OR_RETURN(ResolvedPath r, assets_.ResolveInput(ws, in));
    detail["inputs"][in.name] = {{"type", in.type},
                                 {"path", in.path},
                                 {"mode", in.mode},
                                 {"uri", r.uri},
                                 {"asset", r.asset}};
  }
  for (const auto& out : spec.outputs) {
    RETURN_IF_ERROR(assets_.CheckOutput(ws, name, out));
    json o = {{"type", out.type}, {"mode", out.mode}};
    if (!out.path.empty()) o["path"] = out.path;
    if (!out.asset_name.empty()) o["name"] = out.asset_name;
    if (!out.asset_version.empty()) o["version"] = out.asset_version;
    detail["outputs"][out.name] = o;
  }
  if (!spec.code.empty()) {
    ASSIGN_OR_RETURN(ResolvedPath code, assets_.ResolveCode(ws, spec.code));
    detail["code"] = code.uri.empty() ? spec.code : code.uri;
  }
  ASSIGN_OR_RETURN(std::string env_ref, assets_.CheckEnvironment(ws, spec.environment));
  detail["environment"] = env_ref;

  ASSIGN_OR_RETURN(tracking::Experiment experiment, EnsureExperiment(ws, spec.experiment_name));
  const tracking::Experiment* exp = &experiment;

  tracking::CreateRunRequest rr;
  rr.experiment_id = exp->experiment_id;
  rr.user_id = who.name;
  rr.run_name = spec.display_name.empty() ? name : spec.display_name;
  rr.tags = {{"mlflow.user", who.name},
             {"mlflow.source.type", "JOB"},
             {"mlflow.source.name", name},
             {"mlws.job.name", name},
             {"mlws.job.compute", compute->name}};
  if (!spec.description.empty()) rr.tags.push_back({"mlflow.note.content", spec.description});
  for (const auto& [k, v] : spec.tags) rr.tags.push_back({k, v});
  ASSIGN_OR_RETURN(tracking::Run run, tracking_.CreateRun(ws, rr));
  auto undo = [&](const Status& st) -> Status {
    (void)tracking_.DeleteRun(ws, run.info.run_id);
    return st;
  };
  std::vector<tracking::KeyValue> params;
  for (const auto& in : spec.inputs) {
    if (in.literal) params.push_back({in.name, in.value});
  }
  if (!params.empty()) {
    Status st = tracking_.LogBatch(ws, run.info.run_id, {}, params, {});
    if (!st.ok()) return undo(st);
  }

  Job j;
  j.workspace_id = ws_id;
  j.name = name;
  j.display_name = rr.run_name;
  j.description = spec.description;
  j.experiment_id = exp->experiment_id;
  j.experiment_name = exp->name;
  j.run_id = run.info.run_id;
  j.compute = compute->name;
  j.command = spec.command;
  json stored = spec_json;
  stored["name"] = name;
  j.spec_json = DumpJson(stored);
  j.owner = who.name;
  j.owner_id = who.user_id;
  j.priority = spec.priority;
  j.instance_count = spec.instance_count;
  j.timeout_s = spec.timeout_s;
  j.price_per_node_hour = compute->price_per_node_hour;
  j.status = JobStatus::kQueued;
  j.created_at = NowMs();
  j.job_dir = (fs::path(options_.jobs_root) / std::to_string(ws_id) / name).string();
  j.detail_json = DumpJson(detail);
  Status st = store_.jobs().CreateJob(j);
  if (!st.ok()) return undo(st);

  {
    std::lock_guard<std::mutex> lock(mu_);
    auto a = std::make_shared<Active>();
    a->job = j;
    a->spec = std::move(spec);
    a->ws = ws;
    a->pool = PoolKey(compute->workspace_id, j.compute);  // a shared compute: one pool for all
    a->seq = next_seq_++;
    auto& pool = pools_[a->pool];
    if (!pool) {
      pool = std::make_shared<Pool>();
      pool->ws_id = compute->workspace_id;
      pool->compute = compute->name;
    }
    pool->max_instances = compute->max_instances;
    pool->min_instances = compute->min_instances;
    pool->idle_ms = compute->idle_time_before_scale_down * 1000;
    pool->queue[{-j.priority, a->seq}] = JobKey(ws_id, name);
    active_[JobKey(ws_id, name)] = std::move(a);
    kicked_ = true;
  }
  cv_.notify_all();
  return j;
}

StatusOr<Job> JobService::Get(const std::string& ws, const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(JobKey(ws_id, name));
    if (it != active_.end()) {
      Job j = it->second->job;
      // The archived flag is not part of the scheduler's state.
      auto stored = store_.jobs().GetJob(ws_id, name);
      if (stored.ok()) j.archived = stored->archived;
      return j;
    }
  }
  return store_.jobs().GetJob(ws_id, name);
}

StatusOr<std::vector<Job>> JobService::List(const std::string& ws, bool include_archived) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto list, store_.jobs().ListJobs(ws_id, include_archived));
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& j : list) {
    auto it = active_.find(JobKey(ws_id, j.name));
    if (it != active_.end()) {
      bool archived = j.archived;
      j = it->second->job;
      j.archived = archived;
    }
  }
  return list;
}

StatusOr<Job> JobService::Cancel(const std::string& ws, const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  if (auto pipeline = pipelines_->Cancel(ws_id, name)) return std::move(*pipeline);
  Key key = JobKey(ws_id, name);
  Job snapshot;
  std::shared_ptr<Active> active;
  std::optional<ProcessHandle> signal;
  {
    std::unique_lock<std::mutex> lock(mu_);
    auto it = active_.find(key);
    if (it == active_.end()) {
      lock.unlock();
      if (auto sweep = sweeps_->Cancel(ws_id, name); sweep.ok()) return sweep;
      ASSIGN_OR_RETURN(Job j, store_.jobs().GetJob(ws_id, name));
      if (!IsTerminal(j.status)) {
        // Several servers: the job is another server's; the one holding its lease carries the
        // request out (job_lease.cc). The lease loop carrying one out here, for a job not
        // scheduled here yet (being taken over), leaves it for its next round.
        store::LeaseStore& leases = store_.leases();
        if (std::this_thread::get_id() == lease_thread_.get_id() || !leases.KeepsCancelRequests()) {
          return Status(ErrorCode::kTemporarilyUnavailable,
                        fmt::format("Job '{}' is {} but not scheduled on this server yet.", name,
                                    JobStatusName(j.status)));
        }
        ASSIGN_OR_RETURN(bool recorded, leases.RequestCancel(ws_id, name, server_id(), NowMs()));
        ASSIGN_OR_RETURN(j, store_.jobs().GetJob(ws_id, name));
        if (recorded) return j;
      }
      return Status(ErrorCode::kResourceConflict,
                    fmt::format("Job '{}' already ended ({}).", name, JobStatusName(j.status)));
    }
    active = it->second;
    Active& a = *active;
    a.job.cancel_requested = true;
    if (!a.launched && !a.launching) {
      // Still queued: it never runs.
      auto pool = pools_[a.pool];
      if (pool) pool->queue.erase({-a.job.priority, a.seq});
      a.job.status = JobStatus::kCanceled;
      a.job.ended_at = NowMs();
      a.job.error = "Canceled before it started.";
      snapshot = a.job;
      active_.erase(it);
      kicked_ = true;
    } else {
      if (a.launched && a.term_sent_at == 0) {
        a.term_sent_at = options_.env->MonotonicMillis();
        signal = a.handle;
      }
      snapshot = a.job;
    }
  }
  if (signal) executor_->Signal(*signal, SIGTERM);
  {
    // The job may have ended since the snapshot: its final state stays the last one written.
    std::lock_guard<std::mutex> write(active->write_mu);
    if (!active->final_written) Persist(snapshot);
    if (IsTerminal(snapshot.status)) active->final_written = true;
  }
  if (IsTerminal(snapshot.status)) NotifyEnded(snapshot);
  cv_.notify_all();
  return snapshot;
}

StatusOr<Job> JobService::SetArchived(const std::string& ws, const std::string& name,
                                      bool archived) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  RETURN_IF_ERROR(store_.jobs().SetJobArchived(ws_id, name, archived));
  return Get(ws, name);
}

StatusOr<LogChunk> JobService::Logs(const std::string& ws, const std::string& name,
                                    std::int64_t offset, std::int64_t max_bytes) {
  if (offset < 0) return InvalidArgument("offset must be >= 0");
  ASSIGN_OR_RETURN(Job j, Get(ws, name));
  LogChunk out;
  out.next_offset = offset;
  std::int64_t size = 0;
  // Never through a link, and with API tokens masked (a job that prints its environment must not
  // hand its token to every reader of the log).
  auto fd = OpenInside(fs::path(j.job_dir) / "user_logs", "std_log.txt");
  if (fd.ok()) {
    struct stat st;
    if (::fstat(*fd, &st) == 0) size = st.st_size;
    if (offset < size) {
      // A little more than asked, so a token that straddles the end can be masked whole.
      std::int64_t n = std::min(size - offset, max_bytes + 64);
      out.data.resize(static_cast<size_t>(n));
      ssize_t r = ::pread(*fd, out.data.data(), out.data.size(), offset);
      out.data.resize(r > 0 ? static_cast<size_t>(r) : 0);
    }
    ::close(*fd);
  }
  RedactTokens(out.data);
  bool at_end = offset + static_cast<std::int64_t>(out.data.size()) >= size;
  size_t keep = std::min<size_t>(out.data.size(), static_cast<size_t>(max_bytes));
  if (keep < out.data.size() || !(at_end && IsTerminal(j.status))) {
    keep = std::min(keep, SafeChunkEnd(out.data.substr(0, keep)));
    // A chunk that is only the start of a token waits for more (unless it is all there is).
    if (keep == 0 && out.data.size() > static_cast<size_t>(max_bytes)) keep = out.data.size();
  }
  out.data.resize(keep);
  out.next_offset = offset + static_cast<std::int64_t>(out.data.size());
  out.finished = IsTerminal(j.status) && out.next_offset >= size;
  return out;
}

namespace {

void ListFolder(const fs::path& root, const std::string& output, std::vector<OutputFile>& out) {
  for (const auto& f : ListRealFiles(root)) out.push_back({output, f.rel, f.size});
}

}  // namespace

StatusOr<std::vector<OutputFile>> JobService::ListOutputs(const std::string& ws,
                                                          const std::string& name) {
  ASSIGN_OR_RETURN(Job j, Get(ws, name));
  std::vector<OutputFile> out;
  if (IsPipelineJob(j)) return out;  // its files are its steps' (mlws job download --all)
  fs::path dir(j.job_dir);
  // The run's files: the log and ./outputs (captured into the run's artifacts at the end).
  ListFolder(dir / "user_logs", "artifacts", out);
  for (auto& f : out) f.path = "user_logs/" + f.path;
  std::vector<OutputFile> outputs;
  if (IsRealDir(dir / "wd")) ListFolder(dir / "wd" / "outputs", "artifacts", outputs);
  for (auto& f : outputs) {
    f.path = "outputs/" + f.path;
    out.push_back(f);
  }
  ASSIGN_OR_RETURN(JobSpec spec, ParseJobSpec(json::parse(j.spec_json, nullptr, false)));
  for (const auto& o : spec.outputs) ListFolder(dir / "named_outputs" / o.name, o.name, out);
  return out;
}

StatusOr<std::string> JobService::OutputFilePath(const std::string& ws, const std::string& name,
                                                 const std::string& output,
                                                 const std::string& path) {
  RETURN_IF_ERROR(artifacts::ValidateArtifactPath(path));
  if (path.empty()) return InvalidArgument("Name a file inside the output.");
  ASSIGN_OR_RETURN(Job j, Get(ws, name));
  if (IsPipelineJob(j)) return NotFound("A pipeline's files are its steps' (see its steps).");
  fs::path base;
  std::string rel = path;
  if (output == "artifacts") {
    if (rel.rfind("user_logs/", 0) == 0) {
      base = fs::path(j.job_dir) / "user_logs";
      rel = rel.substr(10);
    } else if (rel.rfind("outputs/", 0) == 0) {
      if (!IsRealDir(fs::path(j.job_dir) / "wd")) return NotFound("The job has no outputs.");
      base = fs::path(j.job_dir) / "wd" / "outputs";
      rel = rel.substr(8);
    } else {
      return NotFound("Job outputs hold user_logs/ and outputs/ only.");
    }
  } else {
    ASSIGN_OR_RETURN(JobSpec spec, ParseJobSpec(json::parse(j.spec_json, nullptr, false)));
    bool known = false;
    for (const auto& o : spec.outputs) known = known || o.name == output;
    if (!known) return NotFound(fmt::format("Job '{}' has no output '{}'.", name, output));
    base = fs::path(j.job_dir) / "named_outputs" / output;
  }
  // Opened without following any link below the output's folder; the file is then served by
  // the real path that open found.
  auto fd = OpenInside(base, rel);
  if (!fd.ok()) {
    return NotFound(fmt::format("No file '{}' in output '{}' of job '{}'.", path, output, name));
  }
  std::error_code ec;
  fs::path real = fs::read_symlink("/proc/self/fd/" + std::to_string(*fd), ec);
  ::close(*fd);
  if (ec) return Internal("cannot resolve the output file: " + ec.message());
  return real.string();
}

}  // namespace mlws::jobs
