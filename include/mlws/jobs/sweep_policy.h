// Early termination of sweep trials (Azure ML's bandit, median_stopping and truncation_selection
// policies); the rules, with a worked example each, are in docs/sweeps.md.
//
// An *interval* is one logged value of the primary metric: a trial's k-th value is its interval
// k. The policy is applied at a trial's interval k when k is a multiple of evaluation_interval
// and k >= delay_evaluation. A trial's *performance at k* is its best value over intervals 1..k
// (the lowest when minimizing, the highest when maximizing).
//
// Pure functions and value types (thread-compatible).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::jobs {

struct EarlyTermination {
  std::string type;  // "" (none), bandit, median_stopping, truncation_selection
  int evaluation_interval = 1;
  int delay_evaluation = 0;
  std::optional<double> slack_factor;  // bandit: one of these two
  std::optional<double> slack_amount;
  int truncation_percentage = 0;       // truncation_selection: 1-99
  bool exclude_finished_jobs = false;  // truncation_selection
};

// null / absent = none. InvalidArgument names the field for an unknown type or field, a value
// out of range, or a bandit with neither (or both) slack_factor and slack_amount.
StatusOr<EarlyTermination> ParseEarlyTermination(const nlohmann::json& j);

// One trial as the policy sees it.
struct TrialCurve {
  std::vector<double> values;  // the primary metric in the order logged: values[k-1] = interval k
  bool ended = false;          // no longer running (Completed, Failed, Canceled or stopped)
};

// Whether trial `self` of `trials` is stopped at its interval `k` (1 <= k <= its values): the
// reason (shown on the canceled trial) when it is, nullopt when it runs on. `maximize` is the
// objective's goal, `metric` its name (for the reason).
std::optional<std::string> EarlyStop(const EarlyTermination& policy, bool maximize,
                                     const std::string& metric,
                                     const std::vector<TrialCurve>& trials, size_t self, int k);

}  // namespace mlws::jobs
