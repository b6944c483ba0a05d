// Cost over time (cost_series.h).
#include "mlws/quotas/cost_series.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <map>

#include "mlws/quotas/quota_spec.h"

namespace mlws::quotas {

namespace {

constexpr std::int64_t kDayMs = 86400000;

// How far back the default `from` reaches, in periods.
int DefaultSpan(CostPer per) {
  switch (per) {
    case CostPer::kDay: return 90;
    case CostPer::kWeek: return 52;
    case CostPer::kMonth: return 24;
    case CostPer::kTotal: return 1;
  }
  return 1;
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - (a % b < 0 ? 1 : 0); }

std::int64_t PeriodStart(CostPer per, std::int64_t ms) {
  std::int64_t day = FloorDiv(ms, kDayMs);
  switch (per) {
    case CostPer::kDay: return day * kDayMs;
    case CostPer::kWeek: return (day - (((day + 3) % 7) + 7) % 7) * kDayMs;  // 1970-01-01: Thu
    case CostPer::kMonth: return MonthStartMs(ms);
    case CostPer::kTotal: return ms;
  }
  return ms;
}

std::int64_t NextPeriod(CostPer per, std::int64_t start) {
  switch (per) {
    case CostPer::kDay: return start + kDayMs;
    case CostPer::kWeek: return start + 7 * kDayMs;
    case CostPer::kMonth: return NextMonthStartMs(start);
    case CostPer::kTotal: return start;  // not used: one period
  }
  return start;
}

std::string Label(CostPer per, std::int64_t start) {
  std::time_t t = static_cast<std::time_t>(FloorDiv(start, 1000));
  std::tm tm{};
  gmtime_r(&t, &tm);
  if (per == CostPer::kMonth) return fmt::format("{:04d}-{:02d}", tm.tm_year + 1900, tm.tm_mon + 1);
  return fmt::format("{:04d}-{:02d}-{:02d}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

StatusOr<std::int64_t> ParseDate(const std::string& s, const char* param) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
      y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) {
    return InvalidArgument(
        fmt::format("'{}' must be a date YYYY-MM-DD (UTC), got '{}'", param, s.substr(0, 40)));
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  std::time_t t = timegm(&tm);
  std::tm back{};
  gmtime_r(&t, &back);
  if (back.tm_mday != d) {
    return InvalidArgument(fmt::format("'{}': {} is not a day of the calendar", param, s));
  }
  return static_cast<std::int64_t>(t) * 1000;
}

}  // namespace

const char* CostByName(CostBy by) {
  switch (by) {
    case CostBy::kExperiment: return "experiment";
    case CostBy::kUser: return "user";
    case CostBy::kCompute: return "compute";
    case CostBy::kWorkspace: return "workspace";
  }
  return "experiment";
}

const char* CostPerName(CostPer per) {
  switch (per) {
    case CostPer::kDay: return "day";
    case CostPer::kWeek: return "week";
    case CostPer::kMonth: return "month";
    case CostPer::kTotal: return "total";
  }
  return "day";
}

StatusOr<CostQuery> ParseCostQuery(const std::string& by, const std::string& per,
                                   const std::string& from, const std::string& to) {
  CostQuery q;
  if (by.empty() || by == "experiment") {
    q.by = CostBy::kExperiment;
  } else if (by == "user") {
    q.by = CostBy::kUser;
  } else if (by == "compute") {
    q.by = CostBy::kCompute;
  } else if (by == "workspace") {
    q.by = CostBy::kWorkspace;
  } else {
    return InvalidArgument("'by' must be experiment, user, compute or workspace");
  }
  if (per.empty() || per == "day") {
    q.per = CostPer::kDay;
  } else if (per == "week") {
    q.per = CostPer::kWeek;
  } else if (per == "month") {
    q.per = CostPer::kMonth;
  } else if (per == "total") {
    q.per = CostPer::kTotal;
  } else {
    return InvalidArgument("'per' must be day, week, month or total");
  }
  if (!from.empty()) {
    ASSIGN_OR_RETURN(q.from_ms, ParseDate(from, "from"));
  }
  if (!to.empty()) {
    ASSIGN_OR_RETURN(std::int64_t t, ParseDate(to, "to"));
    q.to_ms = t + kDayMs;  // inclusive
  }
  if (q.from_ms != 0 && q.to_ms != 0 && q.from_ms >= q.to_ms) {
    return InvalidArgument("'from' must not be after 'to'");
  }
  return q;
}

StatusOr<CostSeries> ComputeCostSeries(const std::vector<CostJob>& jobs, CostQuery q,
                                       std::int64_t now_ms) {
  CostSeries out;
  std::int64_t to = q.to_ms != 0 ? q.to_ms : now_ms + 1;
  std::int64_t from = q.from_ms;
  if (from == 0) {
    std::int64_t earliest = to - 1;
    for (const auto& cj : jobs) {
      if (cj.job->started_at > 0) earliest = std::min(earliest, cj.job->started_at);
    }
    from = PeriodStart(q.per == CostPer::kTotal ? CostPer::kDay : q.per, earliest);
    if (q.per != CostPer::kTotal) {
      std::int64_t floor = PeriodStart(q.per, to - 1);
      for (int i = 1; i < DefaultSpan(q.per); ++i) floor = PeriodStart(q.per, floor - 1);
      from = std::max(from, floor);
    }
  }
  if (from >= to) return InvalidArgument("'from' must not be after 'to'");
  out.from_ms = from;
  out.to_ms = to;
  if (q.per == CostPer::kTotal) {
    out.period_starts.push_back(from);
    out.periods.push_back("total");
  } else {
    for (std::int64_t s = PeriodStart(q.per, from); s < to; s = NextPeriod(q.per, s)) {
      if (out.period_starts.size() >= static_cast<std::size_t>(kMaxPeriods)) {
        return InvalidArgument(fmt::format(
            "more than {} periods from {} to {}: narrow 'from'/'to' or use a longer 'per'",
            kMaxPeriods, Label(CostPer::kDay, from), Label(CostPer::kDay, to - 1)));
      }
      out.period_starts.push_back(s);
      out.periods.push_back(Label(q.per, s));
    }
  }
  const std::size_t n = out.period_starts.size();
  std::map<std::string, CostLineSeries> lines;
  for (const auto& cj : jobs) {
    const jobs::Job& j = *cj.job;
    if (j.started_at <= 0) continue;
    std::int64_t start = std::max(j.started_at, from);
    std::int64_t end = std::min(j.ended_at != 0 ? j.ended_at : now_ms, to);
    if (end <= start) continue;
    std::string key, name;
    switch (q.by) {
      case CostBy::kExperiment:
        key = j.experiment_id;
        name = j.experiment_name;
        break;
      case CostBy::kUser: key = name = j.owner.empty() ? "local" : j.owner; break;
      case CostBy::kCompute: key = name = j.compute; break;
      case CostBy::kWorkspace: key = name = cj.workspace; break;
    }
    CostLineSeries& line = lines[key];
    if (line.node_seconds.empty()) {
      line.key = key;
      line.name = name;
      line.node_seconds.assign(n, 0);
      line.cost.assign(n, 0);
    }
    // The first period holding `start`, then every period the run overlaps.
    auto it = std::upper_bound(out.period_starts.begin(), out.period_starts.end(), start);
    std::size_t i = it == out.period_starts.begin() ? 0 : (it - out.period_starts.begin()) - 1;
    for (; i < n; ++i) {
      std::int64_t ps = out.period_starts[i];
      std::int64_t pe = (q.per == CostPer::kTotal || i + 1 == n) ? to : out.period_starts[i + 1];
      if (ps >= end) break;
      std::int64_t overlap = std::min(end, pe) - std::max(start, ps);
      if (overlap <= 0) continue;
      double ns = static_cast<double>(overlap) / 1000.0 * j.instance_count;
      double cost = ns / 3600.0 * j.price_per_node_hour;
      line.node_seconds[i] += ns;
      line.cost[i] += cost;
      line.total_node_seconds += ns;
      line.total_cost += cost;
      out.total_node_seconds += ns;
      out.total_cost += cost;
    }
  }
  for (auto& [k, v] : lines) out.series.push_back(std::move(v));
  std::stable_sort(out.series.begin(), out.series.end(),
                   [](const auto& a, const auto& b) { return a.total_cost > b.total_cost; });
  return out;
}

}  // namespace mlws::quotas
