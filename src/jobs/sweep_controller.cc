// SweepController: sweep parents, their trials, and the objective.
#include "jobs/sweep_controller.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "jobs/job_service_internal.h"
#include "mlws/common/json.h"
#include "mlws/jobs/sweep_bayesian.h"
#include "mlws/tracking/metric_observer.h"

namespace mlws::jobs {

using nlohmann::json;

namespace {

constexpr int kPollMs = 100;
constexpr int kPersistEveryMs = 500;

bool Better(const SweepSpec& spec, double a, double b) {
  return spec.goal == "maximize" ? a > b : a < b;
}

}  // namespace

SweepController::SweepController(store::MetadataStore& store, tracking::TrackingService& tracking,
                                 JobService& jobs)
    : store_(store), tracking_(tracking), jobs_(jobs) {
  observer_id_ = tracking::AddMetricObserver(
      tracking_,
      [this](const std::string&, const std::string& run_id,
             const std::vector<tracking::Metric>& metrics) { OnMetrics(run_id, metrics); });
}

SweepController::~SweepController() {
  tracking::RemoveMetricObserver(observer_id_);
  Stop();
}

void SweepController::OnMetrics(const std::string& run_id,
                                const std::vector<tracking::Metric>& metrics) {
  if (watching_.load(std::memory_order_relaxed) == 0) return;  // the hot path of every log call
  Watched w;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = watched_.find(run_id);
    if (it == watched_.end()) return;
    w = it->second;
  }
  Sweep& s = *w.sweep;  // spec and ws are immutable
  PolicyState& p = s.policy;
  std::string reason;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    size_t i = static_cast<size_t>(w.index);
    if (i >= p.curves.size()) return;
    for (const auto& m : metrics) {
      if (m.key != s.spec.primary_metric) continue;
      // A stopped trial's later values do not count (its curve ends where it was stopped).
      if (p.stopped_at[i] != 0 || p.curves[i].ended) break;
      p.curves[i].values.push_back(m.value);
      int k = static_cast<int>(p.curves[i].values.size());
      auto stop = EarlyStop(s.spec.policy, s.spec.goal == "maximize", s.spec.primary_metric,
                            p.curves, i, k);
      if (stop) {
        p.stopped_at[i] = k;
        p.reasons[i] = reason = *stop;
      }
    }
  }
  if (reason.empty()) return;
  spdlog::info("sweep {}: trial {} stopped: {}", s.job.name, w.job, reason);
  {
    // The reason the trial's job ends Canceled with (JobService::Finalize).
    std::lock_guard<std::mutex> lock(jobs_.mu_);
    auto it = jobs_.active_.find(JobKey(s.job.workspace_id, w.job));
    if (it != jobs_.active_.end() && !it->second->job.cancel_requested) {
      it->second->cancel_reason = reason;
    }
  }
  (void)jobs_.Cancel(s.ws, w.job);
  Kick();
}

void SweepController::AddToPolicy(const std::shared_ptr<Sweep>& s, const Trial& t) {
  {
    std::lock_guard<std::mutex> lock(s->policy.mu);
    auto& p = s->policy;
    size_t i = static_cast<size_t>(t.index);
    if (p.curves.size() <= i) {
      p.curves.resize(i + 1);
      p.stopped_at.resize(i + 1, 0);
      p.reasons.resize(i + 1);
    }
    p.curves[i].ended = IsTerminal(t.status);
    p.stopped_at[i] = t.stopped_at;
    if (t.stopped_at != 0) p.reasons[i] = t.error;
  }
  if (s->spec.policy.type.empty() || t.job.empty() || IsTerminal(t.status)) return;
  std::lock_guard<std::mutex> lock(mu_);
  watched_[t.run_id] = Watched{s, t.index, t.job};
  watching_ = watched_.size();
}

void SweepController::EndInPolicy(Sweep& s, Trial& t) {
  {
    std::lock_guard<std::mutex> lock(s.policy.mu);
    size_t i = static_cast<size_t>(t.index);
    if (i < s.policy.curves.size()) {
      TrialCurve& c = s.policy.curves[i];
      c.ended = true;
      if (s.policy.stopped_at[i] != 0) {
        t.stopped_at = s.policy.stopped_at[i];
        t.error = s.policy.reasons[i];
        if (!c.values.empty()) t.value = c.values.back();
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  watched_.erase(t.run_id);
  watching_ = watched_.size();
}

void SweepController::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void SweepController::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Whatever was not yet written: a restarted server continues from here.
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, s] : sweeps_) {
    if (s->dirty) Persist(*s);
  }
}

void SweepController::Kick() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    kicked_ = true;
  }
  cv_.notify_all();
}

StatusOr<std::unique_ptr<Sampler>> SweepController::NewSampler(const SweepSpec& spec) {
  if (spec.sampling != "bayesian") return MakeSampler(spec);
  BayesianOptions options;
  options.python_path = jobs_.options_.python_path;
  return StartBayesianSampler(spec, options);
}

StatusOr<Job> SweepController::Create(const std::string& ws, const json& submitted,
                                      const auth::Principal& who) {
  json spec_json = submitted;
  // A registered command component (azureml:name:version, azureml:name@latest): the sweep keeps
  // its spec, so the trials run the version resolved now.
  if (spec_json.is_object() && spec_json.contains("trial") && spec_json["trial"].is_string()) {
    std::string ref = spec_json["trial"].get<std::string>();
    if (ref.rfind("azureml:", 0) != 0) {
      return InvalidArgument("trial '" + ref +
                             "' is neither a command, a command component file nor a registered "
                             "component (azureml:<name>:<version> or azureml:<name>@latest).");
    }
    auto component = jobs_.assets_.ResolveComponent(ws, ref);
    if (!component.ok()) {
      if (component.status().code() != ErrorCode::kResourceDoesNotExist) {
        return component.status();
      }
      return InvalidArgument("trial: " + component.status().message());
    }
    spec_json["trial"] = std::move(*component);
  }
  ASSIGN_OR_RETURN(SweepSpec spec, ParseSweepSpec(spec_json));
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  RETURN_IF_ERROR(jobs_.MayRunJobs(who));
  std::string name = StringField(spec_json, "name", "");
  if (name.empty()) name = GenerateJobName();
  RETURN_IF_ERROR(ValidateJobName(name));
  if (store_.jobs().GetJob(ws_id, name).ok()) {
    return AlreadyExists(
        fmt::format("A job named '{}' already exists in workspace '{}'.", name, ws));
  }
  std::string compute_name = StringField(spec_json, "compute", "");
  if (compute_name.rfind("azureml:", 0) == 0) compute_name = compute_name.substr(8);
  if (compute_name.empty()) compute_name = "local";
  auto compute = jobs_.FindCompute(ws_id, compute_name);
  if (!compute.ok()) {
    if (compute.status().code() != ErrorCode::kResourceDoesNotExist) return compute.status();
    return InvalidArgument(fmt::format(
        "Compute '{}' does not exist in workspace '{}': create it, or leave 'compute' out to run "
        "on 'local'.",
        compute_name, ws));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Sampler> sampler, NewSampler(spec));
  ASSIGN_OR_RETURN(tracking::Experiment exp,
                   jobs_.EnsureExperiment(ws, StringField(spec_json, "experiment_name", "")));

  tracking::CreateRunRequest rr;
  rr.experiment_id = exp.experiment_id;
  rr.user_id = who.name;
  rr.run_name = StringField(spec_json, "display_name", name);
  rr.tags = {{"mlflow.user", who.name},    {"mlflow.source.type", "JOB"},
             {"mlflow.source.name", name}, {"mlws.job.name", name},
             {"mlws.job.type", "sweep"},   {"mlws.job.compute", compute->name}};
  std::string description = StringField(spec_json, "description", "");
  if (!description.empty()) rr.tags.push_back({"mlflow.note.content", description});
  ASSIGN_OR_RETURN(tracking::Run run, tracking_.CreateRun(ws, rr));

  auto s = std::make_shared<Sweep>();
  s->ws = ws;
  s->spec_json = spec_json;
  s->spec_json["name"] = name;
  s->spec = std::move(spec);
  s->sampler = std::move(sampler);
  s->who = who;
  Job& j = s->job;
  j.workspace_id = ws_id;
  j.name = name;
  j.display_name = rr.run_name;
  j.description = description;
  j.experiment_id = exp.experiment_id;
  j.experiment_name = exp.name;
  j.run_id = run.info.run_id;
  j.compute = compute->name;
  j.spec_json = DumpJson(s->spec_json);
  j.owner = who.name;
  j.owner_id = who.user_id;
  j.timeout_s = s->spec.limits.timeout_s;
  j.status = JobStatus::kRunning;
  j.created_at = j.started_at = NowMs();
  j.detail_json = DumpJson(DetailJson(*s));
  Status st = store_.jobs().CreateJob(j);
  if (!st.ok()) {
    (void)tracking_.DeleteRun(ws, run.info.run_id);
    return st;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    sweeps_[JobKey(ws_id, name)] = s;
    kicked_ = true;
  }
  cv_.notify_all();
  return j;
}

void SweepController::Recover(const std::string& ws, const Job& parent) {
  auto s = std::make_shared<Sweep>();
  s->ws = ws;
  s->job = parent;
  s->spec_json = json::parse(parent.spec_json, nullptr, false);
  auto spec = ParseSweepSpec(s->spec_json);
  s->who = auth::Principal(parent.owner_id, parent.owner, parent.owner_id == 0);
  auto fail = [&](const std::string& why) {
    s->job.status = JobStatus::kFailed;
    s->job.ended_at = NowMs();
    s->job.error = why;
    jobs_.Persist(s->job);
  };
  if (!spec.ok()) return fail("The stored sweep spec no longer parses: " + spec.status().message());
  s->spec = std::move(*spec);
  auto sampler = NewSampler(s->spec);
  if (!sampler.ok()) return fail("The sweep cannot continue: " + sampler.status().message());
  s->sampler = std::move(*sampler);
  json detail = json::parse(parent.detail_json, nullptr, false);
  json rows = detail.is_object() ? detail.value("trials", json::array()) : json::array();
  for (const auto& t : rows) {
    Trial tr;
    tr.index = t.value("index", 0);
    tr.job = t.value("job", "");
    tr.run_id = t.value("run_id", "");
    json params = t.value("params", json::object());
    for (const auto& [k, v] : params.items()) tr.values[k] = v;
    tr.status = ParseJobStatus(t.value("status", "Queued")).value_or(JobStatus::kQueued);
    if (t.contains("value") && t["value"].is_number()) tr.value = t["value"].get<double>();
    tr.error = t.value("error", "");
    tr.stopped_at = t.value("stopped_at_interval", 0);
    // The same draws again (the same points when seeded; a Bayesian study re-asks its points).
    tr.sampler_state = t.value("sampler_state", json());
    s->sampler->Replay(tr.index, tr.sampler_state);
    if (IsTerminal(tr.status)) s->sampler->Tell(tr.index, tr.value);
    if (!IsTerminal(tr.status)) s->live.push_back(static_cast<int>(s->trials.size()));
    s->trials.push_back(std::move(tr));
  }
  for (const auto& tr : s->trials) {
    AddToPolicy(s, tr);
    if (s->spec.policy.type.empty() || tr.run_id.empty()) continue;
    // The curves so far, from the runs (in the order logged; a stopped trial's ends there).
    auto history = tracking_.GetMetricHistory(ws, tr.run_id, s->spec.primary_metric);
    if (!history.ok()) continue;
    std::stable_sort(history->begin(), history->end(), [](const auto& a, const auto& b) {
      return a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.step < b.step;
    });
    std::lock_guard<std::mutex> lock(s->policy.mu);
    auto& values = s->policy.curves[static_cast<size_t>(tr.index)].values;
    for (const auto& m : *history) values.push_back(m.value);
    if (tr.stopped_at != 0 && values.size() > static_cast<size_t>(tr.stopped_at)) {
      values.resize(static_cast<size_t>(tr.stopped_at));
    }
  }
  spdlog::info("continuing sweep {} ({} trials so far)", parent.name, s->trials.size());
  std::lock_guard<std::mutex> lock(mu_);
  sweeps_[JobKey(parent.workspace_id, parent.name)] = s;
}

StatusOr<Job> SweepController::Cancel(std::int64_t ws_id, const std::string& name) {
  std::shared_ptr<Sweep> s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sweeps_.find(JobKey(ws_id, name));
    if (it == sweeps_.end()) return NotFound("not an active sweep");
    s = it->second;
    s->cancel = true;
    kicked_ = true;
  }
  cv_.notify_all();
  ASSIGN_OR_RETURN(Job j, store_.jobs().GetJob(ws_id, name));
  j.cancel_requested = true;
  return j;
}

json SweepController::DetailJson(const Sweep& s) const {
  json trials = json::array();
  std::optional<int> best;
  for (size_t i = 0; i < s.trials.size(); ++i) {
    const Trial& t = s.trials[i];
    json params = json::object();
    for (const auto& [k, v] : t.values) params[k] = v;
    json row = {{"index", t.index},
                {"job", t.job},
                {"run_id", t.run_id},
                {"status", JobStatusName(t.status)},
                {"params", params}};
    if (t.value) row["value"] = *t.value;
    if (!t.error.empty()) row["error"] = t.error;
    if (t.stopped_at != 0) row["stopped_at_interval"] = t.stopped_at;
    if (!t.sampler_state.is_null()) row["sampler_state"] = t.sampler_state;
    trials.push_back(std::move(row));
    if (t.value && (!best || Better(s.spec, *t.value, *s.trials[*best].value))) {
      best = static_cast<int>(i);
    }
  }
  json out = {{"sweep",
               {{"sampling_algorithm", s.spec.sampling},
                {"rule", s.spec.rule},
                {"goal", s.spec.goal},
                {"primary_metric", s.spec.primary_metric},
                {"max_total_trials", s.spec.limits.max_total_trials},
                {"max_concurrent_trials", s.spec.limits.max_concurrent_trials},
                {"early_termination", s.spec.early_termination}}},
              {"trials", std::move(trials)},
              {"inputs", json::object()},
              {"outputs", json::object()},
              {"notes", json::array()}};
  if (best) {
    out["best_trial"] = s.trials[*best].job;
    out["best_value"] = *s.trials[*best].value;
  }
  return out;
}

void SweepController::Persist(Sweep& s) {
  s.job.detail_json = DumpJson(DetailJson(s));
  jobs_.Persist(s.job);
  s.dirty = false;
  s.persisted_at = NowMs();
}

void SweepController::Finish(Sweep& s, JobStatus status, const std::string& error) {
  s.job.status = status;
  s.job.ended_at = NowMs();
  s.job.error = error;
  json detail = DetailJson(s);
  if (detail.contains("best_trial")) {
    std::vector<tracking::Metric> metrics = {
        {s.spec.primary_metric, detail["best_value"].get<double>(), s.job.ended_at, 0}};
    std::vector<tracking::KeyValue> tags = {
        {"mlws.sweep.best_trial", detail["best_trial"].get<std::string>()}};
    Status st = tracking_.LogBatch(s.ws, s.job.run_id, metrics, {}, tags);
    if (!st.ok()) spdlog::warn("sweep {}: cannot log its best trial: {}", s.job.name, st.message());
  }
  s.sampler.reset();  // a Bayesian sampler's helper process ends with the sweep
  Persist(s);
  spdlog::info("sweep {} {}: {} trials{}", s.job.name, JobStatusName(status), s.trials.size(),
               error.empty() ? "" : " (" + error + ")");
}

bool SweepController::Step(const std::shared_ptr<Sweep>& sweep) {
  Sweep& s = *sweep;
  std::int64_t now = NowMs();
  // 1. Ended trials and their objective. A trial still in the scheduler's table is live (read
  // under its lock, without a store read); one that left it has its final state in the store.
  std::vector<size_t> gone;
  {
    std::lock_guard<std::mutex> lock(jobs_.mu_);
    for (size_t k = 0; k < s.live.size(); ++k) {
      Trial& t = s.trials[s.live[k]];
      auto it = jobs_.active_.find(JobKey(s.job.workspace_id, t.job));
      if (it == jobs_.active_.end()) {
        gone.push_back(k);
      } else if (it->second->job.status != t.status) {
        t.status = it->second->job.status;
        s.dirty = true;
      }
    }
  }
  for (size_t n = gone.size(); n-- > 0;) {
    size_t k = gone[n];
    Trial& t = s.trials[s.live[k]];
    auto job = store_.jobs().GetJob(s.job.workspace_id, t.job);
    if (!job.ok() || !IsTerminal(job->status)) continue;  // its end is being written
    t.status = job->status;
    if (!job->error.empty()) t.error = job->error;
    if (t.status == JobStatus::kCompleted) {
      auto run = tracking_.GetRun(s.ws, t.run_id);
      if (run.ok()) {
        for (const auto& m : run->metrics) {
          if (m.key == s.spec.primary_metric) t.value = m.value;
        }
      }
    }
    EndInPolicy(s, t);
    s.sampler->Tell(t.index, t.value);
    s.dirty = true;
    s.live.erase(s.live.begin() + static_cast<std::ptrdiff_t>(k));
  }
  bool timed_out =
      s.spec.limits.timeout_s > 0 && now - s.job.started_at > s.spec.limits.timeout_s * 1000;
  if (s.cancel) s.job.cancel_requested = true;
  if (s.cancel || timed_out) {
    for (int i : s.live) {
      Trial& t = s.trials[i];
      if (t.cancel_sent) continue;
      t.cancel_sent = true;
      (void)jobs_.Cancel(s.ws, t.job);
    }
    if (!s.live.empty()) return false;  // wait for them to end
    if (s.cancel) {
      Finish(s, JobStatus::kCanceled, "Canceled.");
    } else {
      Finish(s, JobStatus::kCompleted,
             fmt::format("The sweep's timeout ({} s) was reached.", s.spec.limits.timeout_s));
    }
    return true;
  }
  // 2. New trials.
  const SweepLimits& lim = s.spec.limits;
  while (!s.exhausted && static_cast<int>(s.live.size()) < lim.max_concurrent_trials &&
         static_cast<int>(s.trials.size()) < lim.max_total_trials) {
    auto values = s.sampler->Next();
    if (!values) {
      s.exhausted = true;
      s.sampler_error = s.sampler->Error();
      break;
    }
    Trial t;
    t.index = static_cast<int>(s.trials.size());
    t.values = *values;
    t.sampler_state = s.sampler->State(t.index);
    std::string name = fmt::format("{}_{}", s.job.name, t.index);
    json spec = TrialJobSpec(s.spec_json, s.spec, t.values, name);
    if (!spec.contains("tags") || !spec["tags"].is_object()) spec["tags"] = json::object();
    spec["tags"]["mlflow.parentRunId"] = s.job.run_id;
    spec["tags"]["mlws.sweep.name"] = s.job.name;
    spec["tags"]["mlws.sweep.trial"] = std::to_string(t.index);
    if (!spec.contains("experiment_name")) spec["experiment_name"] = s.job.experiment_name;
    auto job = jobs_.Create(s.ws, spec, s.who);
    if (job.ok()) {
      t.job = job->name;
      t.run_id = job->run_id;
      s.live.push_back(t.index);
    } else {
      t.status = JobStatus::kFailed;
      t.error = job.status().message();
      s.sampler->Tell(t.index, std::nullopt);
    }
    AddToPolicy(sweep, t);
    s.trials.push_back(std::move(t));
    s.dirty = true;
  }
  // 3. The end.
  bool all_started = s.exhausted || static_cast<int>(s.trials.size()) >= lim.max_total_trials;
  if (all_started && s.live.empty()) {
    if (!s.sampler_error.empty()) {
      Finish(s, JobStatus::kFailed, s.sampler_error);
      return true;
    }
    bool any_value = std::any_of(s.trials.begin(), s.trials.end(),
                                 [](const Trial& t) { return t.value.has_value(); });
    if (any_value) {
      Finish(s, JobStatus::kCompleted, "");
    } else {
      Finish(s, JobStatus::kFailed,
             fmt::format("No trial logged the objective's primary metric '{}': log it with "
                         "mlflow.log_metric('{}', value).",
                         s.spec.primary_metric, s.spec.primary_metric));
    }
    return true;
  }
  if (s.dirty && now - s.persisted_at >= kPersistEveryMs) Persist(s);
  return false;
}

void SweepController::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    std::vector<std::pair<std::string, std::shared_ptr<Sweep>>> active(sweeps_.begin(),
                                                                       sweeps_.end());
    lock.unlock();
    std::vector<std::string> ended;
    for (auto& [key, s] : active) {
      if (Step(s)) ended.push_back(key);
    }
    lock.lock();
    for (const auto& key : ended) {
      auto it = sweeps_.find(key);
      if (it == sweeps_.end()) continue;
      for (auto w = watched_.begin(); w != watched_.end();) {
        w = w->second.sweep == it->second ? watched_.erase(w) : std::next(w);
      }
      watching_ = watched_.size();
      sweeps_.erase(it);
    }
    if (!kicked_) {
      cv_.wait_for(lock, std::chrono::milliseconds(kPollMs),
                   [this] { return stopping_ || kicked_; });
    }
    kicked_ = false;
  }
}

}  // namespace mlws::jobs
