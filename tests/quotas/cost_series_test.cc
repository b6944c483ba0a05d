// Cost over time: jobs with known start/end times split into days, weeks, months; grouping;
// query validation.
#include "mlws/quotas/cost_series.h"

#include <gtest/gtest.h>

namespace mlws::quotas {
namespace {

constexpr std::int64_t kHour = 3600000;
constexpr std::int64_t kDec1 = 1796083200000;   // 2026-12-01T00:00Z, a Tuesday
constexpr std::int64_t kNov30 = 1795996800000;  // Monday
constexpr std::int64_t kDec7 = 1796601600000;   // the next Monday

jobs::Job MakeJob(std::string owner, std::string exp, std::int64_t start, std::int64_t end,
                  int nodes = 1, double price = 2.0) {
  jobs::Job j;
  j.owner = std::move(owner);
  j.experiment_id = exp;
  j.experiment_name = "exp-" + exp;
  j.compute = "local";
  j.started_at = start;
  j.ended_at = end;
  j.instance_count = nodes;
  j.price_per_node_hour = price;
  return j;
}

std::vector<CostJob> Wrap(const std::vector<jobs::Job>& jobs, const std::string& ws = "w") {
  std::vector<CostJob> out;
  for (const auto& j : jobs) out.push_back({&j, ws});
  return out;
}

CostQuery Query(const std::string& by, const std::string& per, const std::string& from = "",
                const std::string& to = "") {
  auto q = ParseCostQuery(by, per, from, to);
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  return q.ok() ? *q : CostQuery{};
}

TEST(CostSeriesTest, SplitsAJobAcrossMidnightAndGroupsByUser) {
  std::vector<jobs::Job> jobs = {
      MakeJob("ann", "1", kDec1 + 23 * kHour, kDec1 + 25 * kHour, 2),  // 1 h each day, 2 nodes
      MakeJob("bob", "1", kDec1 + 10 * kHour, kDec1 + 11 * kHour),
      MakeJob("bob", "2", 0, 0),  // never started: counts nothing
  };
  auto s = ComputeCostSeries(Wrap(jobs), Query("user", "day", "2026-12-01", "2026-12-02"),
                             kDec1 + 48 * kHour);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->periods, (std::vector<std::string>{"2026-12-01", "2026-12-02"}));
  ASSERT_EQ(s->series.size(), 2u);
  const auto& ann = s->series[0];  // highest cost first
  EXPECT_EQ(ann.key, "ann");
  EXPECT_DOUBLE_EQ(ann.node_seconds[0], 7200);
  EXPECT_DOUBLE_EQ(ann.node_seconds[1], 7200);
  EXPECT_DOUBLE_EQ(ann.cost[0], 4.0);
  EXPECT_DOUBLE_EQ(ann.total_cost, 8.0);
  EXPECT_EQ(s->series[1].key, "bob");
  EXPECT_DOUBLE_EQ(s->series[1].node_seconds[0], 3600);
  EXPECT_DOUBLE_EQ(s->series[1].node_seconds[1], 0);
  EXPECT_DOUBLE_EQ(s->total_cost, 10.0);
}

TEST(CostSeriesTest, WeeksStartOnMondayAndRunningJobsCountUntilNow) {
  std::vector<jobs::Job> jobs = {
      MakeJob("ann", "1", kDec1, kDec1 + kHour),      // week of Nov 30
      MakeJob("ann", "1", kDec7 + kHour, 0, 1, 1.0),  // still running
  };
  std::int64_t now = kDec7 + 3 * kHour;
  auto s =
      ComputeCostSeries(Wrap(jobs), Query("experiment", "week", "2026-12-01", "2026-12-07"), now);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->periods, (std::vector<std::string>{"2026-11-30", "2026-12-07"}));
  EXPECT_EQ(s->period_starts[0], kNov30);
  ASSERT_EQ(s->series.size(), 1u);
  EXPECT_EQ(s->series[0].name, "exp-1");
  EXPECT_DOUBLE_EQ(s->series[0].node_seconds[0], 3600);  // counted from `from` (Dec 1)
  EXPECT_DOUBLE_EQ(s->series[0].node_seconds[1], 7200);  // 2 h so far
}

TEST(CostSeriesTest, TotalMonthAndWorkspaceGrouping) {
  std::vector<jobs::Job> a = {MakeJob("ann", "1", kDec1, kDec1 + kHour)};
  std::vector<jobs::Job> b = {MakeJob("bob", "7", kDec1, kDec1 + 2 * kHour)};
  std::vector<CostJob> both = Wrap(a, "team-a");
  for (const auto& cj : Wrap(b, "team-b")) both.push_back(cj);
  auto s = ComputeCostSeries(both, Query("workspace", "total"), kDec1 + 5 * kHour);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->periods, (std::vector<std::string>{"total"}));
  ASSERT_EQ(s->series.size(), 2u);
  EXPECT_EQ(s->series[0].key, "team-b");
  EXPECT_DOUBLE_EQ(s->series[0].total_node_seconds, 7200);
  auto m = ComputeCostSeries(both, Query("compute", "month"), kDec1 + 5 * kHour);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->periods.back(), "2026-12");
  EXPECT_EQ(m->series.size(), 1u);  // both on "local"
  EXPECT_DOUBLE_EQ(m->total_node_seconds, 10800);
}

TEST(CostSeriesTest, BadQueriesNameTheParameter) {
  auto expect = [](const char* by, const char* per, const char* from, const char* to,
                   const std::string& part) {
    auto q = ParseCostQuery(by, per, from, to);
    ASSERT_FALSE(q.ok());
    EXPECT_NE(q.status().message().find(part), std::string::npos) << q.status().message();
  };
  expect("team", "", "", "", "'by'");
  expect("", "hour", "", "", "'per'");
  expect("", "", "2026-13-01", "", "'from'");
  expect("", "", "", "2026-02-30", "'to'");
  expect("", "", "yesterday", "", "'from'");
  expect("", "", "2026-12-05", "2026-12-01", "'from' must not be after 'to'");
  auto q = ParseCostQuery("", "day", "2020-01-01", "2026-12-01");
  ASSERT_TRUE(q.ok());
  auto s = ComputeCostSeries({}, *q, kDec1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("more than 1000 periods"), std::string::npos);
}

}  // namespace
}  // namespace mlws::quotas
