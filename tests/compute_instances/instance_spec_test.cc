// The compute instance YAML: fields, durations, schedules, and the errors that name the field.
#include <gtest/gtest.h>

#include "compute_instances/instance_internal.h"

namespace mlws::compute_instances {
namespace {

using nlohmann::json;

constexpr std::int64_t kNow = 1764600000000;  // 2025-12-01T14:40:00Z

TEST(IsoDurationTest, DaysHoursMinutesSeconds) {
  EXPECT_EQ(ParseIsoDuration("PT30M"), 1800);
  EXPECT_EQ(ParseIsoDuration("PT20S"), 20);
  EXPECT_EQ(ParseIsoDuration("PT1H30M"), 5400);
  EXPECT_EQ(ParseIsoDuration("P1D"), 86400);
  EXPECT_EQ(ParseIsoDuration("P1DT2H"), 93600);
  for (const char* bad : {"", "P", "PT", "30M", "PT30", "P30M", "PTM", "PT1H1H1", "PT-5M"}) {
    EXPECT_FALSE(ParseIsoDuration(bad).has_value()) << bad;
  }
}

TEST(JupyterTimeTest, IsoUtcWithFraction) {
  EXPECT_EQ(ParseJupyterTime("2025-12-01T14:40:00.250000Z"), kNow + 250);
  EXPECT_EQ(ParseJupyterTime("2025-12-01T14:40:00Z"), kNow);
  EXPECT_EQ(ParseJupyterTime("yesterday"), 0);
}

TEST(InstanceSpecTest, AzureFieldsAndIgnoredSsh) {
  json spec = json::parse(R"({"name": "ci-1", "type": "computeinstance", "size": "STANDARD_DS3_v2",
    "idle_time_before_shutdown_minutes": 30, "ssh_settings": {"ssh_key_value": "x"},
    "schedules": {"compute_start_stop": [
      {"action": "stop", "trigger": {"type": "cron", "expression": "0 18 * * *"}}]},
    "shared_with": ["dave"]})");
  auto s = ParseInstanceSpec(spec, kNow);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->name, "ci-1");
  EXPECT_EQ(s->size, "STANDARD_DS3_v2");
  EXPECT_EQ(s->idle_s, 1800);
  ASSERT_EQ(s->schedules.size(), 1u);
  EXPECT_EQ(s->schedules[0].action, "stop");
  EXPECT_EQ(s->shared_with, std::vector<std::string>{"dave"});
  auto iso = ParseInstanceSpec(json{{"name", "a"}, {"idle_time_before_shutdown", "PT15S"}}, kNow);
  ASSERT_TRUE(iso.ok());
  EXPECT_EQ(iso->idle_s, 15);
}

TEST(InstanceSpecTest, BadInputNamesTheField) {
  struct Case {
    const char* spec;
    const char* part;
  };
  for (const Case& c : {
           Case{R"({"type": "computeinstance"})", "name"},
           Case{R"({"name": "-x"})", "name"},
           Case{R"({"name": "abcdefghijklmnopqrstuvwxyz"})", "name"},
           Case{R"({"name": "a", "idle_time_before_shutdown": "30 minutes"})",
                "idle_time_before_shutdown"},
           Case{R"({"name": "a", "idle_time_before_shutdown_minutes": -1})",
                "idle_time_before_shutdown_minutes"},
           Case{R"({"name": "a", "idle_time_before_shutdown": "P30D"})", "14 days"},
           Case{R"({"name": "a", "schedules": {"weekly": []}})", "schedules.weekly"},
           Case{R"({"name": "a", "schedules": {"compute_start_stop": [{"action": "stop"}]}})",
                "trigger"},
           Case{R"({"name": "a", "shared_with": "dave"})", "shared_with"},
           Case{R"({"name": "a", "max_instances": 2})", "max_instances"},
       }) {
    auto s = ParseInstanceSpec(json::parse(c.spec), kNow);
    ASSERT_FALSE(s.ok()) << c.spec;
    EXPECT_EQ(s.status().code(), ErrorCode::kInvalidParameterValue) << c.spec;
    EXPECT_NE(s.status().message().find(c.part), std::string::npos)
        << c.spec << ": " << s.status().message();
  }
}

}  // namespace
}  // namespace mlws::compute_instances
