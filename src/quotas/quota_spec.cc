// Parsing and validating quota specs (docs/quotas.md).
#include "mlws/quotas/quota_spec.h"

#include <fmt/format.h>

#include <cmath>
#include <ctime>

#include "mlws/jobs/job_spec.h"

namespace mlws::quotas {

using nlohmann::json;

namespace {

Status UnknownField(const std::string& where, const std::string& key, const char* allowed) {
  return InvalidArgument(
      fmt::format("unknown field '{}' in {} (allowed: {})", key.substr(0, 100), where, allowed));
}

StatusOr<double> Budget(const json& v, const std::string& field) {
  if (!v.is_number()) {
    return InvalidArgument(fmt::format("quota field '{}' must be a number", field));
  }
  double d = v.get<double>();
  if (!std::isfinite(d) || d <= 0 || d > kMaxBudget) {
    return InvalidArgument(
        fmt::format("quota field '{}' must be greater than 0 and at most {:g}", field, kMaxBudget));
  }
  return d;
}

}  // namespace

StatusOr<Quota> ParseQuota(const json& spec) {
  if (!spec.is_object()) return InvalidArgument("a quota spec must be a JSON/YAML object");
  Quota q;
  for (const auto& [key, v] : spec.items()) {
    if (key == "on_exceed") {
      if (!v.is_string() || (v != "wait" && v != "refuse")) {
        return InvalidArgument("quota field 'on_exceed' must be 'wait' or 'refuse'");
      }
      q.refuse = v == "refuse";
    } else if (key == "computes") {
      if (!v.is_object()) {
        return InvalidArgument("quota field 'computes' must map compute names to {max_nodes: N}");
      }
      if (v.size() > kMaxComputes) {
        return InvalidArgument(fmt::format("a quota names at most {} computes", kMaxComputes));
      }
      for (const auto& [name, c] : v.items()) {
        std::string compute = name.rfind("azureml:", 0) == 0 ? name.substr(8) : name;
        Status valid = jobs::ValidateJobName(compute);
        if (!valid.ok()) {
          return InvalidArgument(
              fmt::format("quota compute '{}': {}", compute.substr(0, 100), valid.message()));
        }
        std::string field = "computes." + compute + ".max_nodes";
        if (!c.is_object()) {
          return InvalidArgument(
              fmt::format("quota field 'computes.{}' must be {{max_nodes: N}}", compute));
        }
        for (const auto& [k, unused] : c.items()) {
          if (k != "max_nodes") return UnknownField("computes." + compute, k, "max_nodes");
        }
        if (!c.contains("max_nodes")) {
          return InvalidArgument(fmt::format("quota field '{}' is missing", field));
        }
        const json& n = c["max_nodes"];
        bool integral =
            n.is_number_integer() || (n.is_number_float() && std::isfinite(n.get<double>()) &&
                                      std::floor(n.get<double>()) == n.get<double>());
        if (!integral || n.get<double>() < 1 || n.get<double>() > kMaxNodesLimit) {
          return InvalidArgument(fmt::format("quota field '{}' must be an integer from 1 to {}",
                                             field, kMaxNodesLimit));
        }
        q.max_nodes[compute] = static_cast<int>(n.get<double>());
      }
    } else if (key == "budget") {
      if (v.is_null()) continue;
      if (!v.is_object()) {
        return InvalidArgument(
            "quota field 'budget' must be {max_cost: X} and/or {max_node_hours: H}");
      }
      for (const auto& [k, b] : v.items()) {
        if (k == "max_cost") {
          if (b.is_null()) continue;
          ASSIGN_OR_RETURN(double d, Budget(b, "budget.max_cost"));
          q.max_cost = d;
        } else if (k == "max_node_hours") {
          if (b.is_null()) continue;
          ASSIGN_OR_RETURN(double d, Budget(b, "budget.max_node_hours"));
          q.max_node_hours = d;
        } else if (k != "period" || b != "month") {
          return UnknownField("budget", k, "max_cost, max_node_hours, period: month");
        }
      }
    } else if (key != "$schema") {
      return UnknownField("the quota spec", key, "on_exceed, computes, budget");
    }
  }
  return q;
}

json QuotaSpecJson(const Quota& q) {
  json computes = json::object();
  for (const auto& [name, n] : q.max_nodes) computes[name] = {{"max_nodes", n}};
  json budget = json::object();
  if (q.max_cost) budget["max_cost"] = *q.max_cost;
  if (q.max_node_hours) budget["max_node_hours"] = *q.max_node_hours;
  return {{"on_exceed", q.refuse ? "refuse" : "wait"}, {"computes", computes}, {"budget", budget}};
}

std::int64_t MonthStartMs(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  tm.tm_mday = 1;
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

std::int64_t NextMonthStartMs(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(MonthStartMs(ms) / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  tm.tm_mon += 1;  // timegm normalizes December + 1
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

}  // namespace mlws::quotas
