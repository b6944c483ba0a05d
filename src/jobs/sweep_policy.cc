// Early termination policies: parsing and the stop rule of each (docs/sweeps.md).
#include "mlws/jobs/sweep_policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace mlws::jobs {

using nlohmann::json;

namespace {

Status OnlyKeys(const json& j, const std::set<std::string>& allowed) {
  for (const auto& [k, v] : j.items()) {
    if (!allowed.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return InvalidArgument(fmt::format(
          "Unknown field 'early_termination.{}' for this policy (expected: {}).", k, list));
    }
  }
  return Status::Ok();
}

StatusOr<int> WholeField(const json& j, const char* key, int lo, int hi, int fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_number_integer() || j[key].get<std::int64_t>() < lo ||
      j[key].get<std::int64_t>() > hi) {
    return InvalidArgument(
        fmt::format("early_termination.{} must be a whole number from {} to {}.", key, lo, hi));
  }
  return static_cast<int>(j[key].get<std::int64_t>());
}

StatusOr<std::optional<double>> SlackField(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::optional<double>();
  if (!j[key].is_number() || !std::isfinite(j[key].get<double>()) || j[key].get<double>() < 0) {
    return InvalidArgument(fmt::format("early_termination.{} must be a number >= 0.", key));
  }
  return std::optional<double>(j[key].get<double>());
}

bool Better(bool maximize, double a, double b) { return maximize ? a > b : a < b; }

// The trial's best value over intervals 1..k (all it has when it has fewer).
double Performance(const TrialCurve& t, bool maximize, int k) {
  size_t n = std::min(t.values.size(), static_cast<size_t>(k));
  double best = t.values[0];
  for (size_t i = 1; i < n; ++i) {
    if (Better(maximize, t.values[i], best)) best = t.values[i];
  }
  return best;
}

double RunningAverage(const TrialCurve& t, int k) {
  size_t n = std::min(t.values.size(), static_cast<size_t>(k));
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += t.values[i];
  return sum / static_cast<double>(n);
}

}  // namespace

StatusOr<EarlyTermination> ParseEarlyTermination(const json& j) {
  EarlyTermination p;
  if (j.is_null()) return p;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    return InvalidArgument(
        "early_termination must be a mapping with a 'type': bandit, median_stopping or "
        "truncation_selection.");
  }
  p.type = j["type"].get<std::string>();
  std::set<std::string> keys = {"type", "evaluation_interval", "delay_evaluation"};
  if (p.type == "bandit") {
    keys.insert({"slack_factor", "slack_amount"});
  } else if (p.type == "truncation_selection") {
    keys.insert({"truncation_percentage", "exclude_finished_jobs"});
  } else if (p.type != "median_stopping") {
    return InvalidArgument(
        fmt::format("Unknown early_termination type '{}': use bandit, median_stopping or "
                    "truncation_selection.",
                    p.type));
  }
  RETURN_IF_ERROR(OnlyKeys(j, keys));
  // Azure ML writes 0 for "every interval".
  ASSIGN_OR_RETURN(p.evaluation_interval, WholeField(j, "evaluation_interval", 0, 1000000, 1));
  if (p.evaluation_interval == 0) p.evaluation_interval = 1;
  ASSIGN_OR_RETURN(p.delay_evaluation, WholeField(j, "delay_evaluation", 0, 1000000, 0));
  if (p.type == "bandit") {
    ASSIGN_OR_RETURN(p.slack_factor, SlackField(j, "slack_factor"));
    ASSIGN_OR_RETURN(p.slack_amount, SlackField(j, "slack_amount"));
    // Azure ML's SDK writes the one not chosen as 0.
    if (p.slack_factor && p.slack_amount && *p.slack_factor == 0) p.slack_factor.reset();
    if (p.slack_factor && p.slack_amount && *p.slack_amount == 0) p.slack_amount.reset();
    if (p.slack_factor.has_value() == p.slack_amount.has_value()) {
      return InvalidArgument(
          "A bandit policy takes exactly one of early_termination.slack_factor and "
          "early_termination.slack_amount.");
    }
  } else if (p.type == "truncation_selection") {
    ASSIGN_OR_RETURN(p.truncation_percentage, WholeField(j, "truncation_percentage", 1, 99, 0));
    if (p.truncation_percentage == 0) {
      return InvalidArgument(
          "A truncation_selection policy needs early_termination.truncation_percentage (1-99).");
    }
    if (j.contains("exclude_finished_jobs")) {
      if (!j["exclude_finished_jobs"].is_boolean()) {
        return InvalidArgument("early_termination.exclude_finished_jobs must be true or false.");
      }
      p.exclude_finished_jobs = j["exclude_finished_jobs"].get<bool>();
    }
  }
  return p;
}

std::optional<std::string> EarlyStop(const EarlyTermination& policy, bool maximize,
                                     const std::string& metric,
                                     const std::vector<TrialCurve>& trials, size_t self, int k) {
  if (policy.type.empty() || self >= trials.size() || k < 1 ||
      static_cast<size_t>(k) > trials[self].values.size()) {
    return std::nullopt;
  }
  if (k % policy.evaluation_interval != 0 || k < policy.delay_evaluation) return std::nullopt;
  const double mine = Performance(trials[self], maximize, k);
  if (std::isnan(mine)) return std::nullopt;
  std::string head = fmt::format("Early termination ({}) at interval {}: its best {} {:g}",
                                 policy.type, k, metric, mine);

  if (policy.type == "bandit") {
    double best = mine;
    for (const auto& t : trials) {
      if (t.values.empty()) continue;
      double p = Performance(t, maximize, k);
      if (Better(maximize, p, best)) best = p;
    }
    double limit;
    if (policy.slack_amount) {
      limit = maximize ? best - *policy.slack_amount : best + *policy.slack_amount;
    } else {
      limit = maximize ? best / (1 + *policy.slack_factor) : best * (1 + *policy.slack_factor);
    }
    if (!Better(maximize, limit, mine)) return std::nullopt;
    return fmt::format("{} is outside the slack of the best trial's {:g} (limit {:g}).", head, best,
                       limit);
  }

  if (policy.type == "median_stopping") {
    std::vector<double> averages;
    for (const auto& t : trials) {
      if (!t.values.empty()) averages.push_back(RunningAverage(t, k));
    }
    std::sort(averages.begin(), averages.end());
    size_t n = averages.size();
    double median = n % 2 ? averages[n / 2] : (averages[n / 2 - 1] + averages[n / 2]) / 2;
    if (!Better(maximize, median, mine)) return std::nullopt;
    return fmt::format("{} is worse than the median {:g} of {} trials' running averages.", head,
                       median, n);
  }

  // truncation_selection
  size_t n = 0;
  size_t better = 0;
  for (size_t i = 0; i < trials.size(); ++i) {
    const TrialCurve& t = trials[i];
    if (t.values.empty() || (i != self && policy.exclude_finished_jobs && t.ended)) continue;
    ++n;
    if (i != self && Better(maximize, Performance(t, maximize, k), mine)) ++better;
  }
  size_t cut = n * static_cast<size_t>(policy.truncation_percentage) / 100;
  if (cut == 0 || better < n - cut) return std::nullopt;
  return fmt::format("{} is among the lowest {}% ({} of {} trials).", head,
                     policy.truncation_percentage, cut, n);
}

}  // namespace mlws::jobs
