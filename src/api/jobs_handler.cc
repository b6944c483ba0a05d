// /api/v1/workspaces/{ws}/jobs, computes and cost (jobs::JobService).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "api/handlers.h"
#include "mlws/common/ids.h"
#include "mlws/jobs/job_service.h"

namespace mlws::api {

using nlohmann::json;

namespace {

json OrNull(std::int64_t ms) { return ms == 0 ? json() : json(ms); }

double Round(double v, double unit) { return static_cast<double>(std::llround(v / unit)) * unit; }

StatusOr<json> BodyObject(const http::Request& req) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return BadRequest("The request body is not valid JSON.");
  if (!body.is_object()) return BadRequest("The request body must be a JSON object.");
  return body;
}

// A sweep's trials sorted by the objective (best first; trials without a value last, by index),
// its best trial and value, and the spec's objective, search space and limits.
void AddSweepFields(const json& spec, const json& detail, json& out) {
  const json& sweep = detail.value("sweep", json::object());
  bool maximize = sweep.value("goal", "minimize") == "maximize";
  json trials = detail["trials"];
  if (!trials.is_array()) trials = json::array();
  std::vector<json> rows(trials.begin(), trials.end());
  std::stable_sort(rows.begin(), rows.end(), [maximize](const json& a, const json& b) {
    bool av = a.contains("value") && a["value"].is_number();
    bool bv = b.contains("value") && b["value"].is_number();
    if (av != bv) return av;
    if (!av) return false;
    double x = a["value"].get<double>(), y = b["value"].get<double>();
    return maximize ? x > y : x < y;
  });
  out["trials"] = rows;
  out["best_trial"] = detail.value("best_trial", json());
  out["best_value"] = detail.value("best_value", json());
  for (const char* k : {"objective", "search_space", "sampling_algorithm", "limits"}) {
    out[k] = spec.value(k, json());
  }
  out["sweep"] = sweep;
}

}  // namespace

json JobJson(const jobs::Job& j) {
  json spec = json::parse(j.spec_json, nullptr, false);
  if (!spec.is_object()) spec = json::object();
  json detail = json::parse(j.detail_json, nullptr, false);
  if (!detail.is_object()) detail = json::object();
  std::int64_t now = NowMillis();
  double ns = j.NodeSeconds(now);
  json out = {
      {"name", j.name},
      {"type", "command"},
      {"display_name", j.display_name},
      {"description", j.description},
      {"status", jobs::JobStatusName(j.status)},
      {"run_id", j.run_id},
      {"experiment_id", j.experiment_id},
      {"experiment_name", j.experiment_name},
      {"compute", j.compute},
      {"command", j.command},
      {"created_at", j.created_at},
      {"started_at", OrNull(j.started_at)},
      {"ended_at", OrNull(j.ended_at)},
      {"exit_code", j.exit_code ? json(*j.exit_code) : json()},
      {"error", j.error.empty() ? json() : json(j.error)},
      {"inputs", detail.value("inputs", json::object())},
      {"outputs", detail.value("outputs", json::object())},
      {"environment", detail.value("environment", json())},
      {"environment_variables", spec.value("environment_variables", json::object())},
      {"code", detail.value("code", json())},
      {"tags", spec.value("tags", json::object())},
      {"archived", j.archived},
      {"cancel_requested", j.cancel_requested},
      {"instance_count", j.instance_count},
      {"priority", j.priority},
      {"timeout", j.timeout_s == 0 ? json() : json(j.timeout_s)},
      {"owner", j.owner},
      {"node_seconds", Round(ns, 0.001)},
      {"price_per_node_hour", j.price_per_node_hour},
      {"cost", Round(ns / 3600.0 * j.price_per_node_hour, 1e-6)},
      {"notes", detail.value("notes", json::array())},
      {"process_id", j.process_pid == 0 ? json() : json(j.process_pid)},
  };
  if (spec.contains("type") && spec["type"].is_string()) out["type"] = spec["type"];
  if (detail.contains("trials")) AddSweepFields(spec, detail, out);
  if (detail.contains("environment_note")) out["environment_note"] = detail["environment_note"];
  if (detail.contains("resolved_command")) out["resolved_command"] = detail["resolved_command"];
  if (!j.queue_reason.empty()) out["queue_reason"] = j.queue_reason;  // docs/quotas.md
  if (detail.contains("reused_from")) out["reused_from"] = detail["reused_from"];
  if (detail.value("type", "") == "pipeline") {
    out["type"] = "pipeline";
    out["command"] = nullptr;
    for (const char* k : {"steps", "edges", "settings"}) out[k] = detail.value(k, json());
  }
  if (detail.contains("slurm")) out["slurm"] = detail["slurm"];  // {"job_id": N} on Slurm
  return out;
}

namespace {

// A pipeline's unfinished steps as their jobs are now (the pipeline records ends only), with
// each step's duration.
void RefreshSteps(ApiContext& ctx, const std::string& ws, json& job) {
  if (job.value("type", "") != "pipeline" || !job["steps"].is_object()) return;
  std::int64_t now = NowMillis();
  for (auto& [name, st] : job["steps"].items()) {
    bool done = st["status"] == "Completed" || st["status"] == "Failed" ||
                st["status"] == "Canceled" || st["status"] == "Skipped";
    if (!done && st["job"].is_string()) {
      auto child = ctx.jobs.Get(ws, st["job"].get<std::string>());
      if (child.ok()) {
        st["status"] = jobs::JobStatusName(child->status);
        st["started_at"] = OrNull(child->started_at);
      }
    }
    std::int64_t start = st["started_at"].is_number() ? st["started_at"].get<std::int64_t>() : 0;
    std::int64_t end = st["ended_at"].is_number() ? st["ended_at"].get<std::int64_t>() : now;
    st["duration_ms"] = start == 0 ? json() : json(std::max<std::int64_t>(0, end - start));
  }
}

}  // namespace

namespace {

json ComputeJsonBase(const jobs::ComputeState& s) {
  const auto& c = s.compute;
  return {{"name", c.name},
          {"type", c.type},
          {"size", c.size},
          {"description", c.description},
          {"min_instances", c.min_instances},
          {"max_instances", c.max_instances},
          {"idle_time_before_scale_down", c.idle_time_before_scale_down},
          {"nodes", s.nodes},
          {"busy", s.busy},
          {"idle", s.idle},
          {"queued", s.queued},
          {"running_jobs", s.running_jobs},
          {"node_seconds", Round(s.node_seconds, 0.001)},
          {"price_per_node_hour", c.price_per_node_hour},
          {"cost", Round(s.cost, 1e-6)},
          {"created_at", OrNull(c.created_at)}};
}

// A Slurm compute also shows where its jobs go.
json ComputeJson(const jobs::ComputeState& s) {
  json out = ComputeJsonBase(s);
  json spec = json::parse(s.compute.spec_json, nullptr, false);
  // A shared compute granted to the workspace (docs/shared-resources.md).
  if (spec.is_object() && spec.contains("shared") && spec["shared"].is_boolean() &&
      spec["shared"].get<bool>()) {
    out["shared"] = true;
  }
  if (s.compute.type != "slurm") return out;
  for (const char* k : {"partition", "account", "qos", "gres", "time_limit"}) {
    if (spec.is_object() && spec.contains(k)) out[k] = spec[k];
  }
  return out;
}

const std::string& Ws(http::Request& req) { return req.path_params["ws"]; }
const std::string& Name(http::Request& req) { return req.path_params["name"]; }

}  // namespace

http::Response CreateJob(ApiContext& ctx, http::Request& req) {
  http::Response r = Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(json body, BodyObject(req));
    ASSIGN_OR_RETURN(jobs::Job j, ctx.jobs.Create(Ws(req), body, PrincipalOf(ctx, req)));
    return JobJson(j);
  }());
  if (r.status == 200) r.status = 201;
  return r;
}

http::Response ListJobs(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    bool archived = req.Query("include_archived").value_or("false") == "true";
    ASSIGN_OR_RETURN(auto list, ctx.jobs.List(Ws(req), archived));
    json arr = json::array();
    for (const auto& j : list) arr.push_back(JobJson(j));
    return json{{"value", std::move(arr)}};
  }());
}

http::Response GetJob(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(jobs::Job j, ctx.jobs.Get(Ws(req), Name(req)));
    json out = JobJson(j);
    RefreshSteps(ctx, Ws(req), out);
    return out;
  }());
}

http::Response CancelJob(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(jobs::Job j, ctx.jobs.Cancel(Ws(req), Name(req)));
    return JobJson(j);
  }());
}

http::Response ArchiveJob(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(jobs::Job j, ctx.jobs.SetArchived(Ws(req), Name(req), true));
    return JobJson(j);
  }());
}

http::Response RestoreJob(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(jobs::Job j, ctx.jobs.SetArchived(Ws(req), Name(req), false));
    return JobJson(j);
  }());
}

http::Response GetJobLogs(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    std::int64_t offset = 0;
    if (auto o = req.Query("offset")) {
      ASSIGN_OR_RETURN(offset, JsonToInt64(json(*o), "offset"));
    }
    ASSIGN_OR_RETURN(auto chunk, ctx.jobs.Logs(Ws(req), Name(req), offset, 1 << 20));
    return json{{"data", std::move(chunk.data)},
                {"next_offset", chunk.next_offset},
                {"finished", chunk.finished}};
  }());
}

http::Response ListJobOutputs(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto files, ctx.jobs.ListOutputs(Ws(req), Name(req)));
    json arr = json::array();
    for (const auto& f : files) {
      arr.push_back({{"output", f.output}, {"path", f.path}, {"size", f.size}});
    }
    return json{{"value", std::move(arr)}};
  }());
}

http::Response DownloadJobOutput(ApiContext& ctx, http::Request& req) {
  auto path = ctx.jobs.OutputFilePath(Ws(req), Name(req), req.path_params["output"],
                                      req.path_params["path"]);
  if (!path.ok()) return http::ErrorResponse(path.status());
  std::error_code ec;
  http::Response r;
  r.content_type = "application/octet-stream";
  r.file_path = *path;
  r.file_size = static_cast<std::int64_t>(std::filesystem::file_size(*path, ec));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

http::Response CreateCompute(ApiContext& ctx, http::Request& req) {
  if (auto body = BodyObject(req); body.ok()) {
    if (auto ci = ComputeInstanceCompute(ctx, req, &*body)) return *ci;  // type: computeinstance
  }
  http::Response r = Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(json body, BodyObject(req));
    ASSIGN_OR_RETURN(jobs::Compute c, ctx.jobs.CreateCompute(Ws(req), body));
    ASSIGN_OR_RETURN(auto state, ctx.jobs.GetCompute(Ws(req), c.name));
    return ComputeJson(state);
  }());
  if (r.status == 200) r.status = 201;
  return r;
}

http::Response ListComputes(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto list, ctx.jobs.ListComputes(Ws(req)));
    json arr = json::array();
    for (const auto& s : list) {
      auto ci = ComputeInstanceJson(ctx, Ws(req), s.compute.name);
      arr.push_back(ci ? *ci : ComputeJson(s));
    }
    return json{{"value", std::move(arr)}};
  }());
}

http::Response GetCompute(ApiContext& ctx, http::Request& req) {
  if (auto ci = ComputeInstanceCompute(ctx, req, nullptr)) return *ci;
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto state, ctx.jobs.GetCompute(Ws(req), Name(req)));
    return ComputeJson(state);
  }());
}

http::Response DeleteCompute(ApiContext& ctx, http::Request& req) {
  if (auto ci = ComputeInstanceCompute(ctx, req, nullptr)) return *ci;
  return Reply(ctx.jobs.DeleteCompute(Ws(req), Name(req)));
}

http::Response GetCost(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto report, ctx.jobs.Cost(Ws(req)));
    json by_exp = json::array();
    for (const auto& e : report.by_experiment) {
      by_exp.push_back({{"experiment_id", e.key},
                        {"experiment_name", e.name},
                        {"node_seconds", Round(e.node_seconds, 0.001)},
                        {"cost", Round(e.cost, 1e-6)}});
    }
    json by_job = json::array();
    for (const auto& e : report.by_job) {
      by_job.push_back({{"name", e.key},
                        {"compute", e.name},
                        {"node_seconds", Round(e.node_seconds, 0.001)},
                        {"cost", Round(e.cost, 1e-6)}});
    }
    return json{{"currency", "USD"},
                {"total", Round(report.total, 1e-6)},
                {"node_seconds", Round(report.node_seconds, 0.001)},
                {"by_experiment", std::move(by_exp)},
                {"by_job", std::move(by_job)}};
  }());
}

}  // namespace mlws::api
