// The pipeline's state as its job's detail JSON, and back.
#include "jobs/pipeline_internal.h"

namespace mlws::jobs {

using nlohmann::json;

InputSpec ToInputSpec(const StepInput& in) {
  InputSpec s;
  s.name = in.name;
  s.literal = false;
  s.type = in.type;
  s.path = in.path;
  s.mode = in.mode.empty() ? "ro_mount" : in.mode;
  return s;
}

namespace {

json OrNull(std::int64_t ms) { return ms == 0 ? json() : json(ms); }

std::string InputSource(const StepInput& in) {
  if (!in.bound_from.empty()) return in.bound_from;
  if (in.kind == StepInput::Kind::kPath) return in.path;
  return in.value;
}

}  // namespace

json DetailJson(const PipelineRunner::Run& run) {
  json steps = json::object();
  json edges = json::array();
  for (const auto& step : run.spec.steps) {
    auto it = run.steps.find(step.name);
    PipelineRunner::Step st = it == run.steps.end() ? PipelineRunner::Step() : it->second;
    json inputs = json::object();
    for (const auto& in : step.inputs) {
      inputs[in.name] = InputSource(in);
      if (in.kind == StepInput::Kind::kStepOutput) {
        edges.push_back(
            {{"from", in.step}, {"output", in.output}, {"to", step.name}, {"input", in.name}});
      }
    }
    json outputs = json::object();
    for (const auto& o : step.outputs) {
      json out = {{"type", o.type}};
      if (st.outputs.contains(o.name)) out["uri"] = st.outputs.at(o.name);
      if (st.assets.contains(o.name)) out["asset"] = st.assets.at(o.name);
      if (!o.parent_output.empty()) out["pipeline_output"] = o.parent_output;
      outputs[o.name] = out;
    }
    json s = {{"status", st.status},
              {"job", st.job.empty() ? json() : json(st.job)},
              {"run_id", st.run_id.empty() ? json() : json(st.run_id)},
              {"component", step.component},
              {"compute", step.compute},
              {"depends_on", step.depends_on},
              {"inputs", inputs},
              {"outputs", outputs},
              {"started_at", OrNull(st.started_at)},
              {"ended_at", OrNull(st.ended_at)},
              {"reused_from", st.reused_from.empty() ? json() : json(st.reused_from)},
              {"reason", st.reason.empty() ? json() : json(st.reason)}};
    if (!st.reuse_key.empty()) s["reuse_key"] = st.reuse_key;
    if (!st.notes.empty()) s["notes"] = st.notes;
    steps[step.name] = s;
  }
  json inputs = json::object();
  for (const auto& [k, v] : run.spec.literal_inputs) inputs[k] = {{"value", v}};
  json outputs = json::object();
  for (const auto& [name, decl] : run.spec.outputs.items()) {
    json o = decl.is_object() ? decl : json::object();
    for (const auto& step : run.spec.steps) {
      for (const auto& so : step.outputs) {
        if (so.parent_output != name) continue;
        o["from"] = step.name + "." + so.name;
        auto it = run.steps.find(step.name);
        if (it != run.steps.end() && it->second.outputs.contains(so.name)) {
          o["uri"] = it->second.outputs.at(so.name);
        }
        if (it != run.steps.end() && it->second.assets.contains(so.name)) {
          o["asset"] = it->second.assets.at(so.name);
        }
      }
    }
    outputs[name] = o;
  }
  const PipelineSettings& ps = run.spec.settings;
  json settings = {{"default_compute", ps.default_compute},
                   {"default_datastore", ps.default_datastore},
                   {"default_environment", ps.default_environment},
                   {"continue_on_step_failure", ps.continue_on_step_failure},
                   {"force_rerun", ps.force_rerun}};
  return {{"type", "pipeline"},     {"steps", steps},     {"edges", edges},
          {"inputs", inputs},       {"outputs", outputs}, {"settings", settings},
          {"notes", run.spec.notes}};
}

void RestoreSteps(PipelineRunner::Run& run) {
  json detail = json::parse(run.job.detail_json, nullptr, false);
  json steps = detail.is_object() ? detail.value("steps", json::object()) : json::object();
  for (const auto& step : run.spec.steps) {
    PipelineRunner::Step& st = run.steps[step.name];
    if (!steps.contains(step.name) || !steps[step.name].is_object()) continue;
    const json& s = steps[step.name];
    auto str = [&](const char* k) {
      return s.contains(k) && s[k].is_string() ? s[k].get<std::string>() : std::string();
    };
    st.status = str("status");
    if (st.status.empty()) st.status = "NotStarted";
    st.job = str("job");
    st.run_id = str("run_id");
    st.reused_from = str("reused_from");
    st.reason = str("reason");
    st.reuse_key = str("reuse_key");
    st.started_at =
        s.value("started_at", json()).is_number() ? s["started_at"].get<std::int64_t>() : 0;
    st.ended_at = s.value("ended_at", json()).is_number() ? s["ended_at"].get<std::int64_t>() : 0;
    if (s.contains("outputs") && s["outputs"].is_object()) {
      for (const auto& [o, v] : s["outputs"].items()) {
        if (v.is_object() && v.contains("uri")) st.outputs[o] = v["uri"].get<std::string>();
        if (v.is_object() && v.contains("asset")) st.assets[o] = v["asset"].get<std::string>();
      }
    }
  }
}

std::map<std::string, std::string> StepTags(const PipelineRunner::Run& run,
                                            const PipelineStep& step,
                                            const std::string& reuse_key) {
  std::map<std::string, std::string> tags = {{"mlflow.parentRunId", run.job.run_id},
                                             {"mlws.pipeline", run.job.name},
                                             {"mlws.pipeline.step", step.name}};
  if (!reuse_key.empty()) tags["mlws.reuse_key"] = reuse_key;
  return tags;
}

}  // namespace mlws::jobs
