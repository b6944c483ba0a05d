// The MLflow 3 search dialects (logged models, v3 traces), the in-memory LIKE matcher and the
// protobuf-JSON time formats the v3 trace service reads.
#include <gtest/gtest.h>

#include "mlws/tracking/search_filter.h"
#include "mlws/tracking/trace_v3_service.h"
#include "tracking/like_match.h"

namespace mlws::tracking {
namespace {

TEST(LikeMatchTest, WildcardsAndCase) {
  EXPECT_TRUE(LikeMatch("alpha", "%a", false));
  EXPECT_TRUE(LikeMatch("alpha", "a_p%", false));
  EXPECT_TRUE(LikeMatch("", "%", false));
  EXPECT_FALSE(LikeMatch("alpha", "%b%", false));
  EXPECT_FALSE(LikeMatch("Alpha", "alpha", false));
  EXPECT_TRUE(LikeMatch("Alpha", "alpha", true));
  EXPECT_TRUE(LikeMatch("a%b", "a%%b", false));
  EXPECT_FALSE(LikeMatch("ab", "a_b", false));
  // Many '%' against a long text stays fast (no exponential backtracking).
  EXPECT_FALSE(LikeMatch(std::string(5000, 'a'), std::string(50, '%') + "b", false));
}

TEST(LoggedModelFilterTest, AcceptsModelFieldsAndRejectsOthers) {
  auto ok = ParseLoggedModelFilter(
      "name = 'm' AND params.lr = '0.1' AND metrics.acc >= 0.5 AND tags.t LIKE 'x%' AND "
      "creation_time > 5 AND source_run_id IN ('a', 'b')");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 6u);
  EXPECT_EQ((*ok)[4].key, "creation_timestamp");  // alias resolved
  EXPECT_EQ((*ok)[2].type, EntityType::kMetric);

  auto bad = ParseLoggedModelFilter("run_name = 'x'");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("run_name"), std::string::npos);
  EXPECT_FALSE(ParseLoggedModelFilter("metrics.acc > 'high'").ok());
  EXPECT_FALSE(ParseLoggedModelFilter("datasets.name = 'x'").ok());

  auto order = ParseLoggedModelOrderBy("metrics.acc");
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(order->type, EntityType::kMetric);
  EXPECT_FALSE(ParseLoggedModelOrderBy("nope").ok());
}

TEST(TraceV3FilterTest, MapsPrefixesToEntityTypes) {
  auto ok = ParseTraceV3Filter(
      "trace.status = 'OK' AND tag.k = 'v' AND metadata.`mlflow.sourceRun` = 'r' AND "
      "span.name = 'inner' AND timestamp > 0 AND run_id = 'r'");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 6u);
  EXPECT_EQ((*ok)[0].key, "state");
  EXPECT_EQ((*ok)[1].type, EntityType::kTag);
  EXPECT_EQ((*ok)[2].type, EntityType::kParam);
  EXPECT_EQ((*ok)[2].key, "mlflow.sourceRun");
  EXPECT_EQ((*ok)[3].type, EntityType::kDataset);
  EXPECT_EQ((*ok)[4].key, "timestamp_ms");

  auto bad = ParseTraceV3Filter("span.colour = 'x'");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("colour"), std::string::npos);
  EXPECT_FALSE(ParseTraceV3OrderBy("tag.k").ok());
  EXPECT_TRUE(ParseTraceV3OrderBy("timestamp_ms DESC").ok());
}

TEST(TraceTimesTest, Rfc3339AndDurations) {
  auto ms = ParseRfc3339Millis("2026-01-02T03:04:05.250Z");
  ASSERT_TRUE(ms.ok());
  EXPECT_EQ(*ms, 1767323045250);
  EXPECT_EQ(*ParseRfc3339Millis("2026-01-02T03:04:05.250123456Z"), 1767323045250);
  EXPECT_EQ(*ParseRfc3339Millis("2026-01-02T05:04:05+02:00"), 1767323045000);
  EXPECT_FALSE(ParseRfc3339Millis("yesterday").ok());
  EXPECT_FALSE(ParseRfc3339Millis("2026-01-02T03:04:05").ok());
  EXPECT_EQ(FormatRfc3339Millis(1767323045250), "2026-01-02T03:04:05.250Z");
  EXPECT_EQ(*ParseDurationMillis("1.5s"), 1500);
  EXPECT_EQ(*ParseDurationMillis("0.000100s"), 0);
  EXPECT_FALSE(ParseDurationMillis("1.5").ok());
  EXPECT_FALSE(ParseDurationMillis("abcs").ok());
}

}  // namespace
}  // namespace mlws::tracking
