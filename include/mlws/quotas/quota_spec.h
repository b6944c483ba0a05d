// A workspace's quota (docs/quotas.md): the most nodes its jobs may hold at once on each
// compute, a monthly budget (cost and/or node-hours, calendar months in UTC) and what happens to
// a job over quota (`on_exceed`: it waits in the queue with a reason, or it is refused at
// submit). Parsing validates everything; a parsed Quota is always sensible.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "mlws/common/status.h"

namespace mlws::quotas {

inline constexpr int kMaxNodesLimit = 100000;
inline constexpr double kMaxBudget = 1e12;
inline constexpr std::size_t kMaxComputes = 1000;

struct Quota {
  bool refuse = false;                   // on_exceed: false = wait, true = refuse
  std::map<std::string, int> max_nodes;  // compute name -> nodes (1..kMaxNodesLimit)
  std::optional<double> max_cost;        // per calendar month, in the computes' currency
  std::optional<double> max_node_hours;  // per calendar month
  std::string updated_by;
  std::int64_t updated_at = 0;  // ms; 0 = never set
  bool empty() const { return max_nodes.empty() && !max_cost && !max_node_hours; }
};

// The spec as YAML/JSON gives it: {"on_exceed", "computes": {"<name>": {"max_nodes"}},
// "budget": {"max_cost", "max_node_hours"}}. InvalidArgument names the field and the rule for
// unknown fields, wrong types, non-integers, values out of range (≤ 0, NaN, too big) and bad
// compute names.
StatusOr<Quota> ParseQuota(const nlohmann::json& spec);

// The spec form (what ParseQuota reads back), for storing.
nlohmann::json QuotaSpecJson(const Quota& q);

// Start of the calendar month (UTC) holding `ms`, and of the next one.
std::int64_t MonthStartMs(std::int64_t ms);
std::int64_t NextMonthStartMs(std::int64_t ms);

}  // namespace mlws::quotas
