// Cost over time: jobs' node-seconds and cost split into calendar periods (UTC days, ISO weeks
// starting Monday, months, or one total) and grouped by experiment, user, compute or workspace.
// A job counts from its start to its end (or `now` while it runs), times its nodes; a job that
// runs across midnight is split between the two days. Pure computation: no I/O, no clock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/jobs/job.h"

namespace mlws::quotas {

enum class CostBy { kExperiment, kUser, kCompute, kWorkspace };
enum class CostPer { kDay, kWeek, kMonth, kTotal };

inline constexpr int kMaxPeriods = 1000;

struct CostQuery {
  CostBy by = CostBy::kExperiment;
  CostPer per = CostPer::kDay;
  std::int64_t from_ms = 0;  // 0 = default: the earliest job start, at most kDefaultSpan back
  std::int64_t to_ms = 0;    // exclusive; 0 = now
};

// A job and the workspace it belongs to (for by=workspace).
struct CostJob {
  const jobs::Job* job = nullptr;
  std::string workspace;
};

struct CostLineSeries {
  std::string key;                   // experiment id, user, compute or workspace name
  std::string name;                  // experiment name (= key otherwise)
  std::vector<double> node_seconds;  // one per period
  std::vector<double> cost;
  double total_node_seconds = 0;
  double total_cost = 0;
};

struct CostSeries {
  std::vector<std::string> periods;  // "2026-12-01" (day, week: its Monday), "2026-12", "total"
  std::vector<std::int64_t> period_starts;  // ms
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::vector<CostLineSeries> series;  // highest total cost first, then by key
  double total_node_seconds = 0;
  double total_cost = 0;
};

// Parses the query parameters by, per, from, to (dates YYYY-MM-DD; `to` is inclusive).
// InvalidArgument names the parameter; also when from > to or more than kMaxPeriods periods.
StatusOr<CostQuery> ParseCostQuery(const std::string& by, const std::string& per,
                                   const std::string& from, const std::string& to);

StatusOr<CostSeries> ComputeCostSeries(const std::vector<CostJob>& jobs, CostQuery query,
                                       std::int64_t now_ms);

const char* CostByName(CostBy by);
const char* CostPerName(CostPer per);

}  // namespace mlws::quotas
