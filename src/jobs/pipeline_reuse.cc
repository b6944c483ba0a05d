// Step reuse: the reuse key of a step and the lookup of a completed step with the same key.
//
// The key is sha256 over: the component (name:version, or "inline"), the command as written,
// the code snapshot's content hash, the environment (what it resolves to, and its definition),
// the environment variables, every input (literals by type and value; data by type, mode and
// the content hash of its files — never its path), every output's type, mode, path (as
// written) and asset name/version, the compute and limits.timeout.
#include <fmt/format.h>

#include <atomic>
#include <thread>

#include "jobs/job_service_internal.h"
#include "jobs/pipeline_internal.h"
#include "mlws/assets/snapshot.h"
#include "mlws/common/json.h"
#include "mlws/common/sha256.h"
#include "mlws/jobs/job_service.h"

namespace mlws::jobs {

using nlohmann::json;

namespace {

constexpr const char* kUploads = "/paths/LocalUpload/";
// Threads writing reused steps' records at once (RecordReuses).
constexpr size_t kReuseWriters = 8;

StatusOr<std::string> ContentHash(JobAssets& assets, const std::string& ws, const InputSpec& in) {
  ASSIGN_OR_RETURN(ResolvedPath r, assets.ResolveInput(ws, in));
  return assets.Fingerprint(ws, r);
}

}  // namespace

StatusOr<std::string> PipelineRunner::ReuseKey(Run& run, const PipelineStep& step,
                                               const std::map<std::string, std::string>& upstream) {
  json k = {{"component", step.component},
            {"command", step.command},
            {"environment_definition", step.environment},
            {"environment_variables", step.environment_variables},
            {"compute", step.compute},
            {"timeout", step.timeout_s}};
  if (!step.code.empty()) {
    size_t at = step.code.find(kUploads);
    if (at != std::string::npos) {
      k["code"] = step.code.substr(at + std::string(kUploads).size());  // already a content hash
    } else {
      ASSIGN_OR_RETURN(ResolvedPath code, assets_.ResolveCode(run.ws, step.code));
      ASSIGN_OR_RETURN(k["code"], assets_.Fingerprint(run.ws, code));
    }
  }
  ASSIGN_OR_RETURN(std::string env, assets_.CheckEnvironment(run.ws, step.environment));
  k["environment"] = env;
  json inputs = json::object();
  for (const auto& in : step.inputs) {
    if (in.kind == StepInput::Kind::kLiteral) {
      inputs[in.name] = {{"type", in.type}, {"value", in.value}};
      continue;
    }
    InputSpec spec = ToInputSpec(in);
    if (in.kind == StepInput::Kind::kStepOutput) {
      auto it = upstream.find(in.step + "." + in.output);
      if (it == upstream.end() || it->second.empty()) {
        return NotFound(
            fmt::format("step '{}' recorded no URI for output '{}'", in.step, in.output));
      }
      spec.path = it->second;
    }
    ASSIGN_OR_RETURN(std::string hash, ContentHash(assets_, run.ws, spec));
    inputs[in.name] = {{"type", in.type}, {"mode", spec.mode}, {"content", hash}};
  }
  k["inputs"] = inputs;
  json outputs = json::object();
  for (const auto& o : step.outputs) {
    outputs[o.name] = {{"type", o.type},
                       {"mode", o.mode},
                       {"name", o.asset_name},
                       {"version", o.asset_version},
                       {"path", o.path}};
  }
  k["outputs"] = outputs;
  return Sha256Hex(DumpJson(k));
}

bool PipelineRunner::TryReuse(Run& run, const PipelineStep& step, Step& st, const json& spec,
                              const std::string& key) {
  st.reuse_key = key;
  if (run.experiment_ids.empty()) {
    tracking::SearchExperimentsRequest er;
    auto exps = tracking_.SearchExperiments(run.ws, er);
    if (!exps.ok()) return false;
    for (const auto& e : exps->experiments) run.experiment_ids.push_back(e.experiment_id);
  }
  // The newest finished run with this key, in any experiment of the workspace.
  tracking::SearchRunsRequest rr;
  rr.experiment_ids = run.experiment_ids;
  rr.filter = fmt::format("tags.`mlws.reuse_key` = '{}' and attributes.status = 'FINISHED'", key);
  rr.max_results = 5;
  rr.order_by = {"attributes.start_time DESC"};
  auto found = tracking_.SearchRuns(run.ws, rr);
  std::optional<Job> orig;
  std::optional<ForeignReuse> foreign;
  if (!found.ok() || found->runs.empty()) {
    // A registry component's step may come from another workspace (pipeline_foreign_reuse.cc).
    foreign = FindForeignReuse(store_, tracking_, run, step, key);
    if (!foreign) return false;
    orig = foreign->job;
  }
  for (const auto& r : foreign ? std::vector<tracking::Run>{} : found->runs) {
    for (const auto& t : r.tags) {
      if (t.key != "mlws.job.name") continue;
      auto j = store_.jobs().GetJob(run.job.workspace_id, t.value);
      if (j.ok() && j->status == JobStatus::kCompleted) orig = *j;
    }
    if (orig) break;
  }
  if (!orig) return false;
  st.job = spec["name"].get<std::string>();
  if (foreign) {
    // Another workspace's outputs are copied here before later steps bind to them, so this
    // reuse is recorded now rather than with the others at the end of the pass.
    PendingReuse p{step.name, spec, key, *orig, foreign->ws};
    Job recorded;
    if (!RecordReuse(run, p, recorded).ok()) return false;
    st.reused_from = orig->name;
    Apply(run, st, recorded);
    return true;
  }
  // The step is done now; its records are written with the others at the end of the pass.
  Job done = *orig;
  done.run_id.clear();
  done.started_at = done.ended_at = NowMs();
  st.reused_from = orig->name;
  Apply(run, st, done);
  run.pending.push_back({step.name, spec, key, std::move(*orig), ""});
  return true;
}

Status PipelineRunner::RecordReuse(Run& run, const PendingReuse& p, Job& j) {
  const PipelineStep* step = nullptr;
  for (const auto& s : run.spec.steps) {
    if (s.name == p.step) step = &s;
  }
  if (step == nullptr) return Internal("unknown step " + p.step);
  const std::string child = p.spec["name"].get<std::string>();
  // The step's job and run record the reuse: Completed at once, with the original's results.
  tracking::CreateRunRequest req;
  req.experiment_id = run.job.experiment_id;
  req.user_id = run.who.name;
  req.run_name = step->display_name.empty() ? step->name : step->display_name;
  req.tags = {{"mlflow.user", run.who.name},       {"mlflow.source.type", "JOB"},
              {"mlflow.source.name", child},       {"mlws.job.name", child},
              {"mlws.job.compute", step->compute}, {"mlws.reused_from", p.orig.name}};
  for (const auto& [k, v] : StepTags(run, *step, p.key)) req.tags.push_back({k, v});
  ASSIGN_OR_RETURN(tracking::Run made, tracking_.CreateRun(run.ws, req));
  std::vector<tracking::KeyValue> params;
  for (const auto& in : step->inputs) {
    if (in.kind == StepInput::Kind::kLiteral) params.push_back({in.name, in.value});
  }
  if (!params.empty()) (void)tracking_.LogBatch(run.ws, made.info.run_id, {}, params, {});
  j = p.orig;
  j.workspace_id = run.job.workspace_id;  // the original may be another workspace's
  j.name = child;
  j.display_name = req.run_name;
  j.experiment_id = run.job.experiment_id;
  j.experiment_name = run.job.experiment_name;
  j.run_id = made.info.run_id;
  j.spec_json = DumpJson(p.spec);
  j.owner = run.who.name;
  j.owner_id = run.who.user_id;
  j.created_at = j.started_at = j.ended_at = NowMs();
  j.token_id = 0;
  j.supervisor_pid = j.process_pid = j.supervisor_start = 0;
  j.archived = false;
  j.cancel_requested = false;
  json detail = json::parse(p.orig.detail_json, nullptr, false);
  if (!detail.is_object()) detail = json::object();
  detail["reused_from"] = p.orig.name;
  if (!p.foreign_ws.empty()) {
    Status copied = CopyForeignOutputs(assets_, ForeignReuse{p.orig, p.foreign_ws}, run, *step,
                                       child, made.info.run_id, detail);
    if (!copied.ok()) {
      (void)tracking_.DeleteRun(run.ws, made.info.run_id);
      return copied;
    }
  }
  j.detail_json = DumpJson(detail);
  Status s = store_.jobs().CreateJob(j);
  if (s.ok()) s = store_.jobs().UpdateJobs({j});
  if (!s.ok()) (void)tracking_.DeleteRun(run.ws, made.info.run_id);
  return s;
}

void PipelineRunner::RecordReuses(Run& run) {
  std::vector<PendingReuse> pending;
  pending.swap(run.pending);
  run.experiment_ids.clear();
  if (pending.empty()) return;
  std::vector<Job> made(pending.size());
  std::vector<Status> result(pending.size(), Status::Ok());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < pending.size(); i = next++) {
      result[i] = RecordReuse(run, pending[i], made[i]);
    }
  };
  // Concurrent writers share the store's commits; the runner thread is one of them.
  std::vector<std::thread> helpers;
  for (size_t n = std::min<size_t>(kReuseWriters, pending.size()); n > 1; --n) {
    helpers.emplace_back(work);
  }
  work();
  for (auto& t : helpers) t.join();
  for (size_t i = 0; i < pending.size(); ++i) {
    Step& st = run.steps[pending[i].step];
    if (result[i].ok()) {
      st.run_id = made[i].run_id;
      st.started_at = made[i].started_at;
      st.ended_at = made[i].ended_at;
      continue;
    }
    st.status = "Failed";
    st.reason =
        "The reuse of " + pending[i].orig.name + " could not be recorded: " + result[i].message();
  }
}

}  // namespace mlws::jobs
