// MinuteStats: per-minute buckets in a ring of 60, and percentiles from the latency histogram.
#include "mlws/serving/minute_stats.h"

#include <gtest/gtest.h>

namespace mlws::serving {
namespace {

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kT0 = 1'800'000'000'000;  // a minute boundary (divisible by 60000)

TEST(MinuteStatsTest, CountsRequestsAndErrorsPerMinute) {
  MinuteStats s;
  s.Record(kT0 + 1, 200, 3);
  s.Record(kT0 + 59'999, 429, 0.1);
  s.Record(kT0 + kMin, 500, 7);
  s.Record(kT0 + kMin + 5, 200, 9);
  auto pts = s.Last(kT0 + kMin + 10, 3);
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_EQ(pts[0].time_ms, kT0 - kMin);
  EXPECT_EQ(pts[0].requests, 0u);
  EXPECT_FALSE(pts[0].p50.has_value());
  EXPECT_EQ(pts[1].time_ms, kT0);
  EXPECT_EQ(pts[1].requests, 2u);
  EXPECT_EQ(pts[1].client_errors, 1u);
  EXPECT_EQ(pts[1].server_errors, 0u);
  EXPECT_DOUBLE_EQ(*pts[1].mean, 1.55);
  EXPECT_EQ(pts[2].requests, 2u);
  EXPECT_EQ(pts[2].server_errors, 1u);
}

TEST(MinuteStatsTest, AMinuteAnHourOldIsForgotten) {
  MinuteStats s;
  s.Record(kT0, 200, 1);
  s.Record(kT0 + 60 * kMin, 200, 1);  // same ring slot, an hour later: replaces it
  auto pts = s.Last(kT0 + 60 * kMin, 60);
  ASSERT_EQ(pts.size(), 60u);
  std::uint64_t total = 0;
  for (const auto& p : pts) total += p.requests;
  EXPECT_EQ(total, 1u);
  EXPECT_EQ(pts.back().requests, 1u);
  // Asked later, the old minute is not shown even if its slot was not reused.
  MinuteStats t;
  t.Record(kT0, 200, 1);
  for (const auto& p : t.Last(kT0 + 61 * kMin, 60)) EXPECT_EQ(p.requests, 0u);
}

TEST(MinuteStatsTest, ClampsTheWindow) {
  MinuteStats s;
  EXPECT_EQ(s.Last(kT0, 0).size(), 1u);
  EXPECT_EQ(s.Last(kT0, 500).size(), 60u);
}

TEST(MinuteStatsTest, PercentilesInterpolateInsideABucket) {
  MinuteStats s;
  // 100 requests of 11..15 ms fall in the (10, 15] bucket; one slow one at 2 s.
  for (int i = 0; i < 100; ++i) s.Record(kT0, 200, 12);
  s.Record(kT0, 200, 2000);
  auto p = s.Last(kT0, 1)[0];
  ASSERT_TRUE(p.p50 && p.p90 && p.p99);
  EXPECT_NEAR(*p.p50, 10 + 5 * (50.5 / 100), 1e-9);
  EXPECT_NEAR(*p.p90, 10 + 5 * (90.9 / 100), 1e-9);
  EXPECT_LE(*p.p99, 15.0);
  EXPECT_GT(*p.p99, *p.p90);
}

TEST(MinuteStatsTest, QuantileOfAnEmptyOrOverflowingHistogram) {
  const double bounds[] = {1, 2};
  const std::uint64_t none[] = {0, 0, 0};
  EXPECT_FALSE(HistogramQuantile(0.5, bounds, none, 2).has_value());
  const std::uint64_t slow[] = {0, 0, 4};
  EXPECT_DOUBLE_EQ(*HistogramQuantile(0.5, bounds, slow, 2), 2.0);
  const std::uint64_t fast[] = {4, 0, 0};
  EXPECT_DOUBLE_EQ(*HistogramQuantile(0.5, bounds, fast, 2), 0.5);
}

TEST(MinuteStatsTest, JsonRoundTripKeepsTheLastHourOnly) {
  MinuteStats s;
  EXPECT_FALSE(s.dirty());
  s.Record(kT0 - 61 * kMin, 200, 1);  // older than the hour at kT0 + 10 s: not written
  s.Record(kT0 - 5 * kMin, 500, 40);
  s.Record(kT0, 200, 3);
  s.Record(kT0 + 1, 404, 0.2);
  EXPECT_TRUE(s.dirty());
  std::string doc = s.ToJson(kT0 + 10'000);
  MinuteStats back;
  ASSERT_TRUE(back.FromJson(doc, kT0 + 10'000).ok());
  EXPECT_FALSE(back.dirty());
  auto a = s.Last(kT0 + 10'000, 60);
  auto b = back.Last(kT0 + 10'000, 60);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].requests, b[i].requests) << i;
    EXPECT_EQ(a[i].server_errors, b[i].server_errors) << i;
    EXPECT_EQ(a[i].client_errors, b[i].client_errors) << i;
    EXPECT_EQ(a[i].p50, b[i].p50) << i;
    EXPECT_EQ(a[i].mean, b[i].mean) << i;
  }
  EXPECT_EQ(b.back().requests, 2u);
  EXPECT_EQ(b[54].server_errors, 1u);
  // Restored an hour later, nothing of it is shown.
  MinuteStats late;
  ASSERT_TRUE(late.FromJson(doc, kT0 + 61 * kMin).ok());
  for (const auto& p : late.Last(kT0 + 61 * kMin, 60)) EXPECT_EQ(p.requests, 0u);
}

TEST(MinuteStatsTest, ForeignDocumentsAreRefusedAndChangeNothing) {
  MinuteStats s;
  s.Record(kT0, 200, 3);
  for (const char* doc : {"", "[]", "{\"v\": 2, \"buckets\": []}", "{\"v\": 1}",
                          "{\"v\": 1, \"buckets\": [{\"minute\": \"x\"}]}",
                          "{\"v\": 1, \"buckets\": [{\"minute\": 30000000, \"latency\": [1]}]}",
                          "{\"v\": 1, \"buckets\": [{\"minute\": 30000000, \"requests\": -1, "
                          "\"latency\": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0], "
                          "\"latency_sum_ms\": 0}]}"}) {
    EXPECT_FALSE(s.FromJson(doc, kT0).ok()) << doc;
    EXPECT_EQ(s.Last(kT0, 1)[0].requests, 1u) << doc;
  }
}

}  // namespace
}  // namespace mlws::serving
