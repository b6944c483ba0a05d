// JobService: computes (local pools of slots) and cost.
#include <fmt/format.h>

#include <set>

#include "jobs/job_files.h"
#include "jobs/job_service_internal.h"
#include "jobs/slurm_compute.h"
#include "mlws/assets/shared_resources.h"
#include "mlws/common/json.h"

namespace mlws::jobs {

using nlohmann::json;

namespace {

StatusOr<Compute> ParseComputeSpec(const json& spec) {
  if (!spec.is_object()) return InvalidArgument("The compute spec must be a mapping.");
  static const std::set<std::string> kAllowed = {"$schema",
                                                 "name",
                                                 "type",
                                                 "size",
                                                 "min_instances",
                                                 "max_instances",
                                                 "idle_time_before_scale_down",
                                                 "tier",
                                                 "location",
                                                 "description",
                                                 "tags",
                                                 "identity",
                                                 "ssh_public_access_enabled",
                                                 "ssh_settings",
                                                 "network_settings",
                                                 "admin_username",
                                                 "enable_node_public_ip",
                                                 "price_per_node_hour"};
  for (const auto& [k, v] : spec.items()) {
    if (!kAllowed.contains(k) && !IsSlurmComputeField(k)) {
      return InvalidArgument(fmt::format("Unknown field '{}' in the compute spec.", k));
    }
  }
  Compute c;
  if (!spec.contains("name") || !spec["name"].is_string()) {
    return InvalidArgument("A compute needs a 'name'.");
  }
  c.name = spec["name"].get<std::string>();
  RETURN_IF_ERROR(ValidateJobName(c.name));
  c.type = spec.value("type", json("amlcompute")).is_string()
               ? spec.value("type", std::string("amlcompute"))
               : "";
  if (c.type != "amlcompute" && c.type != "local" && c.type != "slurm") {
    return Status(ErrorCode::kNotImplemented,
                  fmt::format("Compute type '{}' is not supported yet: use amlcompute (a local "
                              "pool of max_instances slots) or slurm (a Slurm cluster).",
                              c.type));
  }
  auto int_field = [&](const char* key, std::int64_t def, std::int64_t lo,
                       std::int64_t hi) -> StatusOr<std::int64_t> {
    if (!spec.contains(key) || spec[key].is_null()) return def;
    if (!spec[key].is_number_integer()) {
      return InvalidArgument(fmt::format("'{}' must be a whole number.", key));
    }
    std::int64_t v = spec[key].get<std::int64_t>();
    if (v < lo || v > hi) {
      return InvalidArgument(fmt::format("'{}' must be between {} and {}.", key, lo, hi));
    }
    return v;
  };
  ASSIGN_OR_RETURN(std::int64_t min, int_field("min_instances", 0, 0, 10000));
  ASSIGN_OR_RETURN(std::int64_t max, int_field("max_instances", 1, 1, 10000));
  if (min > max) return InvalidArgument("min_instances must not exceed max_instances.");
  ASSIGN_OR_RETURN(c.idle_time_before_scale_down,
                   int_field("idle_time_before_scale_down", 120, 0, 86400 * 365));
  c.min_instances = static_cast<int>(min);
  c.max_instances = static_cast<int>(max);
  RETURN_IF_ERROR(ValidateSlurmComputeFields(spec, c));
  if (spec.contains("size")) {
    if (!spec["size"].is_string()) return InvalidArgument("'size' must be a string.");
    c.size = spec["size"].get<std::string>();
  }
  if (spec.contains("description") && spec["description"].is_string()) {
    c.description = spec["description"].get<std::string>();
  }
  if (spec.contains("price_per_node_hour")) {
    if (!spec["price_per_node_hour"].is_number() || spec["price_per_node_hour"].get<double>() < 0) {
      return InvalidArgument("'price_per_node_hour' must be a number >= 0.");
    }
    c.price_per_node_hour = spec["price_per_node_hour"].get<double>();
  }
  c.spec_json = DumpJson(spec);
  return c;
}

}  // namespace

Compute JobService::LocalCompute(std::int64_t ws_id) const {
  Compute c;
  c.workspace_id = ws_id;
  c.name = "local";
  c.type = "local";
  c.description = "The server's own machine (built in).";
  c.min_instances = 0;
  c.max_instances = options_.local_slots;
  c.idle_time_before_scale_down = 0;
  c.spec_json = DumpJson(json{{"name", "local"}, {"type", "local"}});
  return c;
}

StatusOr<Compute> JobService::FindCompute(std::int64_t ws_id, const std::string& name) {
  auto c = store_.jobs().GetCompute(ws_id, name);
  if (!c.ok() && c.status().code() == ErrorCode::kResourceDoesNotExist && name == "local") {
    return LocalCompute(ws_id);
  }
  // A shared compute granted to the workspace (docs/shared-resources.md): its jobs go to the
  // shared compute's one pool, keyed by the shared workspace.
  if (c.ok() && assets::SharedResources::IsLink(*c))
    return assets::SharedResources(store_).Resolve(*c);
  return c;
}

StatusOr<Compute> JobService::CreateCompute(const std::string& ws, const json& spec) {
  ASSIGN_OR_RETURN(Compute c, ParseComputeSpec(spec));
  ASSIGN_OR_RETURN(c.workspace_id, tracking_.WorkspaceId(ws));
  c.created_at = NowMs();
  auto existing = store_.jobs().GetCompute(c.workspace_id, c.name);
  if (existing.ok() && assets::SharedResources::IsLink(*existing)) {
    return Status(ErrorCode::kResourceConflict,
                  fmt::format("'{}' is a shared compute granted to workspace '{}': name yours "
                              "otherwise.",
                              c.name, ws));
  }
  if (existing.ok()) c.created_at = existing->created_at;
  // create-or-update, as `az ml compute create` does
  RETURN_IF_ERROR(store_.jobs().ReplaceCompute(c));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pools_.find(PoolKey(c.workspace_id, c.name));
    if (it != pools_.end()) {
      it->second->max_instances = c.max_instances;
      it->second->min_instances = c.min_instances;
      it->second->idle_ms = c.idle_time_before_scale_down * 1000;
    }
    kicked_ = true;
  }
  cv_.notify_all();
  return c;
}

ComputeState JobService::StateOf(const Compute& c, const std::vector<Job>& jobs, std::int64_t now) {
  ComputeState s;
  s.compute = c;
  for (const auto& j : jobs) {
    if (j.compute != c.name) continue;
    double ns = j.NodeSeconds(now);
    s.node_seconds += ns;
    s.cost += ns / 3600.0 * j.price_per_node_hour;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pools_.find(PoolKey(c.workspace_id, c.name));
  int warm = 0;
  if (it != pools_.end()) {
    Pool& p = *it->second;
    s.busy = p.busy;
    s.queued = static_cast<int>(p.queue.size());
    while (!p.released.empty() && p.released.front().first + p.idle_ms < now) {
      p.released.pop_front();
    }
    for (const auto& [t, n] : p.released) warm += n;
  }
  for (const auto& [key, a] : active_) {
    if (a->pool == PoolKey(c.workspace_id, c.name) && a->launched) ++s.running_jobs;
  }
  s.nodes = std::min(c.max_instances, std::max(c.min_instances, s.busy + warm));
  s.idle = std::max(0, s.nodes - s.busy);
  return s;
}

StatusOr<ComputeState> JobService::GetCompute(const std::string& ws, const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(Compute c, FindCompute(ws_id, name));
  ASSIGN_OR_RETURN(auto jobs, store_.jobs().ListJobs(ws_id, true));
  return StateOf(c, jobs, NowMs());
}

StatusOr<std::vector<ComputeState>> JobService::ListComputes(const std::string& ws) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto computes, store_.jobs().ListComputes(ws_id));
  bool has_local = false;
  for (const auto& c : computes) has_local = has_local || c.name == "local";
  if (!has_local) computes.insert(computes.begin(), LocalCompute(ws_id));
  for (auto it = computes.begin(); it != computes.end();) {  // grants -> the shared computes
    auto resolved = assets::SharedResources(store_).Resolve(*it);
    if (resolved.ok())
      *it++ = *resolved;
    else
      it = computes.erase(it);
  }
  ASSIGN_OR_RETURN(auto jobs, store_.jobs().ListJobs(ws_id, true));
  std::vector<ComputeState> out;
  std::int64_t now = NowMs();
  for (const auto& c : computes) out.push_back(StateOf(c, jobs, now));
  return out;
}

Status JobService::DeleteCompute(const std::string& ws, const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  if (auto c = store_.jobs().GetCompute(ws_id, name);
      c.ok() && assets::SharedResources::IsLink(*c)) {
    return InvalidArgument(fmt::format(
        "'{}' is a shared compute granted to workspace '{}': a server Owner revokes it (`mlws "
        "compute revoke {} -w {}`).",
        name, ws, name, ws));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, a] : active_) {
      if (a->pool == PoolKey(ws_id, name)) {
        return Status(ErrorCode::kResourceConflict,
                      fmt::format("Compute '{}' has queued or running jobs (e.g. '{}'); cancel "
                                  "them first.",
                                  name, a->job.name));
      }
    }
  }
  return store_.jobs().DeleteCompute(ws_id, name);
}

StatusOr<CostReport> JobService::Cost(const std::string& ws) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto jobs, store_.jobs().ListJobs(ws_id, true));
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& j : jobs) {
      auto it = active_.find(JobKey(ws_id, j.name));
      if (it != active_.end()) j = it->second->job;
    }
  }
  CostReport r;
  std::int64_t now = NowMs();
  std::map<std::string, CostLine> by_exp;
  for (const auto& j : jobs) {
    double ns = j.NodeSeconds(now);
    double cost = ns / 3600.0 * j.price_per_node_hour;
    r.node_seconds += ns;
    r.total += cost;
    CostLine& e = by_exp[j.experiment_id];
    e.key = j.experiment_id;
    e.name = j.experiment_name;
    e.node_seconds += ns;
    e.cost += cost;
    r.by_job.push_back({j.name, j.compute, ns, cost});
  }
  for (auto& [k, v] : by_exp) r.by_experiment.push_back(v);
  return r;
}

}  // namespace mlws::jobs
