// PipelineRunner: submission, the advancing thread, step dispatch, cancel, recovery. Reuse lives
// in pipeline_reuse.cc.
#include "mlws/jobs/pipeline_runner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "jobs/job_service_internal.h"
#include "jobs/pipeline_internal.h"
#include "mlws/common/json.h"
#include "mlws/jobs/job_service.h"

namespace mlws::jobs {

using nlohmann::json;

bool IsPipelineJob(const Job& job) {
  if (!job.command.empty() || job.spec_json.find("\"pipeline\"") == std::string::npos) {
    return false;
  }
  return IsPipelineSpec(json::parse(job.spec_json, nullptr, false));
}

bool IsStepTerminal(const std::string& s) {
  return s == "Completed" || s == "Failed" || s == "Canceled" || s == "Skipped";
}

PipelineRunner::PipelineRunner(store::MetadataStore& store, tracking::TrackingService& tracking,
                               JobAssets& assets, JobService& jobs)
    : store_(store), tracking_(tracking), assets_(assets), jobs_(jobs) {}

PipelineRunner::~PipelineRunner() { Stop(); }

void PipelineRunner::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void PipelineRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

StatusOr<PipelineSpec> PipelineRunner::Parse(const std::string& ws, const json& spec,
                                             json* resolved) {
  std::map<std::string, json> found;
  auto resolve = [&](const std::string& ref) -> StatusOr<json> {
    ASSIGN_OR_RETURN(json c, assets_.ResolveComponent(ws, ref));
    found[ref] = c;
    return c;
  };
  ASSIGN_OR_RETURN(PipelineSpec p, ParsePipelineSpec(spec, resolve));
  if (resolved != nullptr) {
    *resolved = spec;
    for (auto& [name, step] : (*resolved)["jobs"].items()) {
      if (step.contains("component") && step["component"].is_string()) {
        step["component"] = found[step["component"].get<std::string>()];
      }
    }
  }
  return p;
}

StatusOr<tracking::Experiment> PipelineRunner::Experiment(const std::string& ws,
                                                          const std::string& name) {
  auto exp = tracking_.GetExperimentByName(ws, name);
  if (!exp.ok() && exp.status().code() == ErrorCode::kResourceDoesNotExist) {
    exp = tracking_.CreateExperiment(ws, name, "", {});
    if (!exp.ok() && exp.status().code() == ErrorCode::kResourceAlreadyExists) {
      exp = tracking_.GetExperimentByName(ws, name);
    }
  }
  return exp;
}

namespace {

std::int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Status Prefixed(const Status& st, const std::string& where) {
  return Status(st.code(), where + ": " + st.message());
}

}  // namespace

StatusOr<Job> PipelineRunner::Create(const std::string& ws, std::int64_t ws_id, const json& spec,
                                     const auth::Principal& who) {
  json resolved;
  ASSIGN_OR_RETURN(PipelineSpec p, Parse(ws, spec, &resolved));
  std::string name = p.name.empty() ? GenerateJobName() : p.name;
  if (store_.jobs().GetJob(ws_id, name).ok()) {
    return AlreadyExists(
        fmt::format("A job named '{}' already exists in workspace '{}'.", name, ws));
  }
  // Everything the steps refer to must exist now, not when they start.
  if (const std::string& ds = p.settings.default_datastore; !ds.empty()) {
    OutputSpec probe;
    probe.name = "default_datastore";
    probe.path = "azureml://datastores/" + ds + "/paths/azureml";
    Status ok = assets_.CheckOutput(ws, name, probe);
    if (ok.code() == ErrorCode::kResourceDoesNotExist) {
      return NotFound(fmt::format(
          "settings.default_datastore: datastore '{}' does not exist in workspace '{}' (`mlws "
          "datastore list` shows them).",
          ds, ws));
    }
    if (!ok.ok()) return Prefixed(ok, "settings.default_datastore");
  }
  std::map<std::string, Status> computes;
  for (const auto& s : p.steps) {
    std::string where = "jobs." + s.name;
    std::string child = StepJobName(name, s.name);
    if (child.size() > 255) {
      return InvalidArgument(fmt::format(
          "{}: the step's job name '{}--{}' is longer than 255 characters; use a shorter "
          "pipeline or step name.",
          where, name.substr(0, 50), s.name.substr(0, 50)));
    }
    if (store_.jobs().GetJob(ws_id, child).ok()) {
      return AlreadyExists(
          fmt::format("{}: a job named '{}' already exists in workspace '{}'.", where, child, ws));
    }
    // Each compute once: looking one up reads the workspace's jobs (its state).
    auto [checked, fresh] = computes.emplace(s.compute, Status::Ok());
    if (fresh) checked->second = jobs_.GetCompute(ws, s.compute).status();
    const Status& compute = checked->second;
    if (!compute.ok()) {
      if (compute.code() != ErrorCode::kResourceDoesNotExist) return compute;
      return InvalidArgument(fmt::format(
          "{}.compute: compute '{}' does not exist in workspace '{}' (create it with `mlws "
          "compute create -f cluster.yml`, or set settings.default_compute).",
          where, s.compute, ws));
    }
    if (!s.code.empty()) {
      auto code = assets_.ResolveCode(ws, s.code);
      if (!code.ok()) return Prefixed(code.status(), where + ".code");
    }
    auto env = assets_.CheckEnvironment(ws, s.environment);
    if (!env.ok()) return Prefixed(env.status(), where + ".environment");
    for (const auto& in : s.inputs) {
      if (in.kind != StepInput::Kind::kPath) continue;
      auto r = assets_.ResolveInput(ws, ToInputSpec(in));
      if (!r.ok()) return Prefixed(r.status(), where + ".inputs." + in.name);
    }
    for (const auto& o : s.outputs) {
      OutputSpec out;
      out.name = o.name;
      out.path = o.path;
      Status ok = assets_.CheckOutput(ws, child, out);
      if (!ok.ok()) return Prefixed(ok, where + ".outputs." + o.name);
    }
  }

  std::string exp_name = p.experiment_name.empty() ? "Default" : p.experiment_name;
  ASSIGN_OR_RETURN(tracking::Experiment exp, Experiment(ws, exp_name));
  tracking::CreateRunRequest rr;
  rr.experiment_id = exp.experiment_id;
  rr.user_id = who.name;
  rr.run_name = p.display_name.empty() ? name : p.display_name;
  rr.tags = {{"mlflow.user", who.name},
             {"mlflow.source.type", "JOB"},
             {"mlflow.source.name", name},
             {"mlws.job.name", name},
             {"mlws.job.type", "pipeline"}};
  if (!p.description.empty()) rr.tags.push_back({"mlflow.note.content", p.description});
  for (const auto& [k, v] : p.tags) rr.tags.push_back({k, v});
  ASSIGN_OR_RETURN(tracking::Run mrun, tracking_.CreateRun(ws, rr));
  auto undo = [&](const Status& st) -> Status {
    (void)tracking_.DeleteRun(ws, mrun.info.run_id);
    return st;
  };
  std::vector<tracking::KeyValue> params;
  for (const auto& [k, v] : p.literal_inputs) params.push_back({k, v});
  if (!params.empty()) {
    Status st = tracking_.LogBatch(ws, mrun.info.run_id, {}, params, {});
    if (!st.ok()) return undo(st);
  }

  auto run = std::make_shared<Run>();
  run->ws = ws;
  run->spec = std::move(p);
  run->who = who;
  Job& j = run->job;
  j.workspace_id = ws_id;
  j.name = name;
  j.display_name = rr.run_name;
  j.description = run->spec.description;
  j.experiment_id = exp.experiment_id;
  j.experiment_name = exp.name;
  j.run_id = mrun.info.run_id;
  j.compute = run->spec.settings.default_compute;
  resolved["name"] = name;
  j.spec_json = DumpJson(resolved);
  j.owner = who.name;
  j.owner_id = who.user_id;
  j.instance_count = 0;  // a pipeline holds no slots; its steps do
  j.status = JobStatus::kRunning;
  j.created_at = j.started_at = NowMs();
  for (const auto& s : run->spec.steps) run->steps[s.name];
  j.detail_json = DumpJson(DetailJson(*run));
  Status st = store_.jobs().CreateJob(j);
  if (st.ok()) st = store_.jobs().UpdateJobs({j});  // the run shows RUNNING
  if (!st.ok()) return undo(st);
  {
    std::lock_guard<std::mutex> lock(mu_);
    Key key = JobKey(ws_id, name);
    runs_[key] = run;
    dirty_.insert(key);
  }
  cv_.notify_all();
  return j;
}

std::optional<StatusOr<Job>> PipelineRunner::Cancel(std::int64_t ws_id, const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Key key = JobKey(ws_id, name);
    auto it = runs_.find(key);
    if (it == runs_.end()) return std::nullopt;
    it->second->cancel = true;
    dirty_.insert(key);
  }
  cv_.notify_all();
  auto j = store_.jobs().GetJob(ws_id, name);
  if (j.ok()) j->cancel_requested = true;
  return j;
}

void PipelineRunner::OnJobEnded(const Job& job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = child_of_.find(JobKey(job.workspace_id, job.name));
    if (it == child_of_.end()) return;
    ended_[it->second].push_back(job);
    dirty_.insert(it->second);
  }
  cv_.notify_all();
}

void PipelineRunner::Recover(const std::vector<Job>& pipelines) {
  std::map<std::int64_t, std::string> names;
  if (auto list = tracking_.ListWorkspaces(); list.ok()) {
    for (const auto& w : *list) names[w.id] = w.name;
  }
  for (const Job& j : pipelines) {
    auto run = std::make_shared<Run>();
    run->job = j;
    run->ws = names[j.workspace_id];
    run->who = auth::Principal(j.owner_id, j.owner, j.owner_id == 0);
    StatusOr<PipelineSpec> spec = InvalidArgument("its workspace is gone");
    if (!run->ws.empty()) spec = Parse(run->ws, json::parse(j.spec_json, nullptr, false), nullptr);
    if (!spec.ok()) {
      run->job.status = JobStatus::kFailed;
      run->job.ended_at = NowMs();
      run->job.error = "The stored pipeline no longer parses: " + spec.status().message();
      (void)store_.jobs().UpdateJobs({run->job});
      continue;
    }
    run->spec = std::move(*spec);
    RestoreSteps(*run);
    run->recovered = true;
    Key key = JobKey(j.workspace_id, j.name);
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [step, st] : run->steps) {
      if (!st.job.empty()) child_of_[JobKey(j.workspace_id, st.job)] = key;
    }
    runs_[key] = run;
    dirty_.insert(key);
    spdlog::info("re-adopting pipeline {} ({} steps)", j.name, run->spec.steps.size());
  }
}

void PipelineRunner::Loop() {
  auto last_sweep = std::chrono::steady_clock::now();
  for (;;) {
    std::vector<std::shared_ptr<Run>> work;
    std::vector<std::shared_ptr<Run>> due;
    {
      std::unique_lock<std::mutex> lock(mu_);
      std::int64_t wait_ms = 1000;  // shorter when a pipeline's state is to be written soon
      for (const auto& [key, run] : runs_) {
        if (run->persist_due) wait_ms = std::min(wait_ms, PersistEveryMs(*run));
      }
      cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                   [this] { return stopping_ || !dirty_.empty(); });
      for (const auto& [key, run] : runs_) {
        if (run->persist_due) due.push_back(run);
      }
      if (stopping_) {
        lock.unlock();
        for (auto& run : due) Persist(*run);  // what a stopping server knows, written
        return;
      }
      // A slow safety net: every few seconds each pipeline looks at its steps' jobs itself.
      if (std::chrono::steady_clock::now() - last_sweep > std::chrono::seconds(5)) {
        last_sweep = std::chrono::steady_clock::now();
        for (auto& [key, run] : runs_) {
          run->recovered = true;
          dirty_.insert(key);
        }
      }
      for (const auto& key : dirty_) {
        auto it = runs_.find(key);
        if (it != runs_.end()) work.push_back(it->second);
      }
      dirty_.clear();
    }
    for (auto& run : work) {
      try {
        Advance(*run);
      } catch (const std::exception& e) {
        spdlog::error("pipeline {}: {}", run->job.name, e.what());
      }
    }
    for (auto& run : due) {
      if (run->persist_due && SteadyMs() - run->persisted_at >= PersistEveryMs(*run)) {
        Persist(*run);
      }
    }
  }
}

void PipelineRunner::Apply(Run& run, Step& st, const Job& child) {
  (void)run;
  st.status = JobStatusName(child.status);
  st.run_id = child.run_id;
  st.started_at = child.started_at;
  st.ended_at = child.ended_at;
  if (child.status == JobStatus::kFailed || child.status == JobStatus::kCanceled) {
    st.reason = child.error.substr(0, child.error.find('\n'));
  }
  if (child.status == JobStatus::kCompleted) {
    json detail = json::parse(child.detail_json, nullptr, false);
    if (detail.is_object() && detail.contains("outputs") && detail["outputs"].is_object()) {
      for (const auto& [o, v] : detail["outputs"].items()) {
        if (v.is_object() && v.contains("uri")) st.outputs[o] = v["uri"].get<std::string>();
        if (v.is_object() && v.contains("asset")) st.assets[o] = v["asset"].get<std::string>();
      }
    }
  }
}

void PipelineRunner::Advance(Run& run) {
  Key key = JobKey(run.job.workspace_id, run.job.name);
  std::vector<Job> events;
  bool cancel = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = ended_.find(key);
    if (it != ended_.end()) {
      events.swap(it->second);
      ended_.erase(it);
    }
    cancel = run.cancel;
  }
  bool changed = !events.empty() || (cancel && !run.job.cancel_requested);
  run.job.cancel_requested = run.job.cancel_requested || cancel;
  std::map<std::string, std::string> step_of;
  for (const auto& [name, st] : run.steps) {
    if (!st.job.empty()) step_of[st.job] = name;
  }
  for (const Job& e : events) {
    auto it = step_of.find(e.name);
    if (it != step_of.end()) Apply(run, run.steps[it->second], e);
  }
  if (run.recovered) {
    // After a restart (or on the safety sweep): read every unfinished step's job.
    for (auto& [name, st] : run.steps) {
      if (st.job.empty() || IsStepTerminal(st.status)) continue;
      auto child = jobs_.Get(run.ws, st.job);
      if (!child.ok()) continue;
      std::string before = st.status;
      Apply(run, st, *child);
      changed = changed || st.status != before;
    }
  }
  auto failed = [&] {
    for (const auto& [n, st] : run.steps) {
      if (st.status == "Failed" || (st.status == "Canceled" && !st.job.empty())) return true;
    }
    return false;
  };
  bool continue_on_failure = run.spec.settings.continue_on_step_failure;
  bool any_failed = failed();  // once per pass, not per step (a pass may start 1000s)
  for (const auto& step : run.spec.steps) {
    Step& st = run.steps[step.name];
    if (IsStepTerminal(st.status) || !st.job.empty()) continue;
    std::string blocked;
    bool ready = true;
    for (const auto& d : step.depends_on) {
      const Step& up = run.steps[d];
      if (up.status == "Failed" || up.status == "Canceled" || up.status == "Skipped") blocked = d;
      if (up.status != "Completed") ready = false;
    }
    if (!blocked.empty() && !run.job.cancel_requested) {
      st.status = "Skipped";
      st.reason = fmt::format("Not run: step '{}' did not complete.", blocked);
      changed = true;
      continue;
    }
    bool stop = run.job.cancel_requested || (!continue_on_failure && any_failed);
    if (stop) {
      st.status = "Canceled";
      st.reason = run.job.cancel_requested
                      ? "The pipeline was canceled before the step started."
                      : "Not started: a step failed and settings.continue_on_step_failure is "
                        "false.";
      changed = true;
      continue;
    }
    if (!ready) continue;
    Dispatch(run, step, st);
    any_failed = any_failed || st.status == "Failed";
    changed = true;
  }
  RecordReuses(run);
  run.recovered = false;
  bool stop = run.job.cancel_requested || (!continue_on_failure && failed());
  if (stop && !run.stop_sent) {
    run.stop_sent = true;
    for (const auto& [name, st] : run.steps) {
      if (st.job.empty() || IsStepTerminal(st.status)) continue;
      auto r = jobs_.Cancel(run.ws, st.job);
      if (!r.ok() && r.status().code() != ErrorCode::kResourceConflict) {
        spdlog::warn("pipeline {}: cannot cancel step {}: {}", run.job.name, name,
                     r.status().ToString());
      }
    }
  }
  bool done = true;
  for (const auto& [n, st] : run.steps) done = done && IsStepTerminal(st.status);
  if (done) return Finish(run);
  run.persist_due = run.persist_due || changed;
  if (run.persist_due && SteadyMs() - run.persisted_at >= PersistEveryMs(run)) Persist(run);
}

void PipelineRunner::Dispatch(Run& run, const PipelineStep& step, Step& st) {
  std::string child = StepJobName(run.job.name, step.name);
  Key pkey = JobKey(run.job.workspace_id, run.job.name);
  {
    std::lock_guard<std::mutex> lock(mu_);
    child_of_[JobKey(run.job.workspace_id, child)] = pkey;
  }
  if (run.recovered) {
    // The server may have stopped between creating the step's job and recording it.
    if (auto existing = jobs_.Get(run.ws, child); existing.ok()) {
      st.job = child;
      Apply(run, st, *existing);
      return;
    }
  }
  std::map<std::string, std::string> upstream;
  for (const auto& in : step.inputs) {
    if (in.kind == StepInput::Kind::kStepOutput) {
      upstream[in.step + "." + in.output] = run.steps[in.step].outputs[in.output];
    }
  }
  std::string reuse_key;
  if (step.deterministic && !step.force_rerun) {
    auto k = ReuseKey(run, step, upstream);
    if (k.ok()) {
      reuse_key = *k;
    } else {
      st.notes.push_back("not reusable: " + k.status().message());
    }
  }
  json spec = StepJobSpec(run.spec, step, upstream);
  spec["name"] = child;
  spec["experiment_name"] = run.job.experiment_name;
  spec["tags"] = StepTags(run, step, reuse_key);
  if (!reuse_key.empty() && TryReuse(run, step, st, spec, reuse_key)) return;
  auto j = jobs_.Create(run.ws, spec, run.who);
  if (!j.ok()) {
    st.status = "Failed";
    st.reason = "The step's job could not be created: " + j.status().message();
    return;
  }
  st.job = child;
  Apply(run, st, *j);
}

void PipelineRunner::Finish(Run& run) {
  bool all_ok = true;
  std::string error;
  for (const auto& step : run.spec.steps) {
    const Step& st = run.steps[step.name];
    if (st.status == "Completed") continue;
    all_ok = false;
    if (st.status == "Failed" || (st.status == "Canceled" && !st.job.empty())) {
      error += fmt::format("{}Step '{}' {}: {}", error.empty() ? "" : "\n", step.name,
                           st.status == "Failed" ? "failed" : "was canceled", st.reason);
    }
  }
  run.job.ended_at = NowMs();
  if (run.job.cancel_requested) {
    run.job.status = JobStatus::kCanceled;
    run.job.error = "Canceled.";
  } else if (all_ok) {
    run.job.status = JobStatus::kCompleted;
  } else {
    run.job.status = JobStatus::kFailed;
    run.job.error = error.empty() ? "Some steps did not run." : error;
  }
  Persist(run);
  Key key = JobKey(run.job.workspace_id, run.job.name);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [n, st] : run.steps) {
    if (!st.job.empty()) child_of_.erase(JobKey(run.job.workspace_id, st.job));
  }
  ended_.erase(key);
  runs_.erase(key);
}

void PipelineRunner::Persist(Run& run) {
  run.persist_due = false;
  run.persisted_at = SteadyMs();
  run.job.detail_json = DumpJson(DetailJson(run));
  Status st = store_.jobs().UpdateJobs({run.job});
  if (!st.ok())
    spdlog::error("pipeline {}: cannot record its state: {}", run.job.name, st.ToString());
}

}  // namespace mlws::jobs
