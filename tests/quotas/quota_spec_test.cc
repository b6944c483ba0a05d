// Quota specs: what parses, what is refused (and the refusal names the field), month bounds.
#include "mlws/quotas/quota_spec.h"

#include <gtest/gtest.h>

namespace mlws::quotas {
namespace {

using nlohmann::json;

void ExpectRefused(const std::string& spec, const std::string& part) {
  auto q = ParseQuota(json::parse(spec));
  ASSERT_FALSE(q.ok()) << spec;
  EXPECT_EQ(q.status().code(), ErrorCode::kInvalidParameterValue) << q.status().ToString();
  EXPECT_NE(q.status().message().find(part), std::string::npos) << q.status().message();
}

TEST(QuotaSpecTest, ParsesEveryField) {
  auto q = ParseQuota(json::parse(R"({"on_exceed": "refuse",
      "computes": {"local": {"max_nodes": 2}, "azureml:gpu": {"max_nodes": 4.0}},
      "budget": {"max_cost": 12.5, "max_node_hours": 3, "period": "month"}})"));
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_TRUE(q->refuse);
  EXPECT_EQ(q->max_nodes.at("local"), 2);
  EXPECT_EQ(q->max_nodes.at("gpu"), 4);  // azureml: prefix dropped, integral float accepted
  EXPECT_DOUBLE_EQ(*q->max_cost, 12.5);
  EXPECT_DOUBLE_EQ(*q->max_node_hours, 3);
  // The stored form reads back as the same quota.
  auto again = ParseQuota(QuotaSpecJson(*q));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->max_nodes, q->max_nodes);
  EXPECT_EQ(again->refuse, q->refuse);
}

TEST(QuotaSpecTest, EmptyMeansNoLimitsAndWait) {
  auto q = ParseQuota(json::object());
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->empty());
  EXPECT_FALSE(q->refuse);
}

TEST(QuotaSpecTest, RefusesValuesThatMakeNoSense) {
  ExpectRefused(R"([1])", "object");
  ExpectRefused(R"({"on_exceed": "explode"})", "on_exceed");
  ExpectRefused(R"({"on_exceed": true})", "on_exceed");
  ExpectRefused(R"({"computes": [1]})", "computes");
  ExpectRefused(R"({"computes": {"local": 2}})", "computes.local");
  ExpectRefused(R"({"computes": {"local": {}}})", "computes.local.max_nodes");
  ExpectRefused(R"({"computes": {"local": {"max_nodes": 0}}})", "computes.local.max_nodes");
  ExpectRefused(R"({"computes": {"local": {"max_nodes": -3}}})", "from 1 to");
  ExpectRefused(R"({"computes": {"local": {"max_nodes": 1.5}}})", "integer");
  ExpectRefused(R"({"computes": {"local": {"max_nodes": "2"}}})", "integer");
  ExpectRefused(R"({"computes": {"local": {"max_nodes": 1e9}}})", "100000");
  ExpectRefused(R"({"computes": {"local": {"max_nodes": 1, "gpus": 2}}})", "'gpus'");
  ExpectRefused(R"({"computes": {"bad name!": {"max_nodes": 1}}})", "bad name!");
  ExpectRefused(R"({"budget": 5})", "budget");
  ExpectRefused(R"({"budget": {"max_cost": 0}})", "budget.max_cost");
  ExpectRefused(R"({"budget": {"max_cost": -1}})", "budget.max_cost");
  ExpectRefused(R"({"budget": {"max_cost": "10"}})", "number");
  ExpectRefused(R"({"budget": {"max_node_hours": 1e300}})", "budget.max_node_hours");
  ExpectRefused(R"({"budget": {"period": "week"}})", "'period'");
  ExpectRefused(R"({"budget": {"max_dollars": 1}})", "'max_dollars'");
  ExpectRefused(R"({"slots": 3})", "'slots'");
}

TEST(QuotaSpecTest, MonthBoundsInUtc) {
  // 2026-12-15T10:00:00Z -> 2026-12-01 and 2027-01-01 (December rolls over the year).
  std::int64_t mid = 1797328800000;
  EXPECT_EQ(MonthStartMs(mid), 1796083200000);
  EXPECT_EQ(NextMonthStartMs(mid), 1798761600000);
  EXPECT_EQ(MonthStartMs(1796083200000), 1796083200000);  // the first instant is in its month
}

}  // namespace
}  // namespace mlws::quotas
