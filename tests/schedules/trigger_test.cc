// Fire-time arithmetic: cron fields, recurrences, time zones (DST gaps and overlaps), bounds.
#include "mlws/schedules/trigger.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>
#include <gtest/gtest.h>

namespace mlws::schedules {
namespace {

using nlohmann::json;

// ms since the epoch of a local civil time in `zone`.
std::int64_t At(const char* zone, int y, int mo, int d, int h, int mi) {
  cctz::time_zone tz;
  EXPECT_TRUE(cctz::load_time_zone(zone, &tz));
  return cctz::convert(cctz::civil_second(y, mo, d, h, mi, 0), tz).time_since_epoch().count() *
         1000;
}

Trigger Parse(const json& j, std::int64_t now = At("UTC", 2026, 1, 1, 0, 0)) {
  auto t = ParseTrigger(j, now);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? *t : Trigger{};
}

TEST(CronTest, HourlyInPacificTimeFromTheStart) {
  // The example: "0 * * * *" from 2022-07-10T10:00:00 Pacific Standard Time (PDT, UTC-7).
  Trigger t = Parse({{"type", "cron"},
                     {"expression", "0 * * * *"},
                     {"start_time", "2022-07-10T10:00:00"},
                     {"time_zone", "Pacific Standard Time"}});
  EXPECT_EQ(t.zone, "America/Los_Angeles");
  EXPECT_EQ(NextFire(t, 0), At("UTC", 2022, 7, 10, 17, 0));
  EXPECT_EQ(NextFire(t, At("UTC", 2022, 7, 10, 17, 0)), At("UTC", 2022, 7, 10, 18, 0));
  EXPECT_EQ(NextFire(t, At("UTC", 2022, 7, 10, 17, 30)), At("UTC", 2022, 7, 10, 18, 0));
}

TEST(CronTest, FieldsListsRangesStepsAndNames) {
  Trigger t = Parse({{"type", "cron"}, {"expression", "*/15 9-17 * * MON-FRI"}});
  // 2026-01-02 is a Friday; 2026-01-03 a Saturday.
  EXPECT_EQ(NextFire(t, At("UTC", 2026, 1, 2, 17, 45)), At("UTC", 2026, 1, 5, 9, 0));
  EXPECT_EQ(NextFire(t, At("UTC", 2026, 1, 2, 9, 0)), At("UTC", 2026, 1, 2, 9, 15));
  Trigger feb29 = Parse({{"type", "cron"}, {"expression", "0 0 29 2 *"}});
  EXPECT_EQ(NextFire(feb29, At("UTC", 2026, 1, 1, 0, 0)), At("UTC", 2028, 2, 29, 0, 0));
}

TEST(CronTest, BothDayFieldsRestrictedMeansEither) {
  // The 13th or any Friday (POSIX cron): 2026-02-06 is a Friday, before the 13th.
  Trigger t = Parse({{"type", "cron"}, {"expression", "0 12 13 * 5"}});
  EXPECT_EQ(NextFire(t, At("UTC", 2026, 2, 1, 0, 0)), At("UTC", 2026, 2, 6, 12, 0));
  EXPECT_EQ(NextFire(t, At("UTC", 2026, 2, 6, 12, 0)), At("UTC", 2026, 2, 13, 12, 0));
}

TEST(CronTest, DaylightSavingGapAndOverlap) {
  // 2026-03-08 02:00 -> 03:00 in Los Angeles: 02:30 does not exist and fires at the jump.
  Trigger gap =
      Parse({{"type", "cron"}, {"expression", "30 2 * * *"}, {"time_zone", "America/Los_Angeles"}});
  EXPECT_EQ(NextFire(gap, At("UTC", 2026, 3, 8, 0, 0)), At("UTC", 2026, 3, 8, 10, 0));
  // 2026-11-01 01:30 happens twice: fires once, at the first (PDT, UTC-7).
  Trigger overlap =
      Parse({{"type", "cron"}, {"expression", "30 1 * * *"}, {"time_zone", "America/Los_Angeles"}});
  std::int64_t first = At("UTC", 2026, 11, 1, 8, 30);
  EXPECT_EQ(NextFire(overlap, At("UTC", 2026, 11, 1, 0, 0)), first);
  EXPECT_EQ(NextFire(overlap, first), At("UTC", 2026, 11, 2, 9, 30));
}

TEST(RecurrenceTest, TheExampleDaySchedule) {
  // frequency day, interval 1, hours [4,5,10,11,12] x minutes [0,30], Pacific time.
  Trigger t = Parse({{"type", "recurrence"},
                     {"frequency", "day"},
                     {"interval", 1},
                     {"schedule", {{"hours", {4, 5, 10, 11, 12}}, {"minutes", {0, 30}}}},
                     {"start_time", "2022-07-10T10:00:00"},
                     {"time_zone", "Pacific Standard Time"}});
  const char* la = "America/Los_Angeles";
  EXPECT_EQ(NextFire(t, 0), At(la, 2022, 7, 10, 10, 0));
  EXPECT_EQ(NextFire(t, At(la, 2022, 7, 10, 10, 0)), At(la, 2022, 7, 10, 10, 30));
  EXPECT_EQ(NextFire(t, At(la, 2022, 7, 10, 12, 30)), At(la, 2022, 7, 11, 4, 0));
}

TEST(RecurrenceTest, MinutesWeeksAndMonths) {
  std::int64_t start = At("UTC", 2026, 1, 1, 10, 0);  // a Thursday
  Trigger every5 = Parse({{"type", "recurrence"},
                          {"frequency", "minute"},
                          {"interval", 5},
                          {"start_time", "2026-01-01T10:00:00Z"}});
  EXPECT_EQ(NextFire(every5, 0), start);
  EXPECT_EQ(NextFire(every5, start + 1), start + 5 * 60'000);
  // Every second week on Monday and Friday at 08:15 (weeks counted from the start's week).
  Trigger weeks =
      Parse({{"type", "recurrence"},
             {"frequency", "week"},
             {"interval", 2},
             {"schedule", {{"week_days", {"monday", "friday"}}, {"hours", {8}}, {"minutes", {15}}}},
             {"start_time", "2026-01-01T10:00:00"}});
  EXPECT_EQ(NextFire(weeks, 0), At("UTC", 2026, 1, 2, 8, 15));
  EXPECT_EQ(NextFire(weeks, At("UTC", 2026, 1, 2, 8, 15)), At("UTC", 2026, 1, 12, 8, 15));
  Trigger months = Parse({{"type", "recurrence"},
                          {"frequency", "month"},
                          {"interval", 1},
                          {"schedule", {{"month_days", {31}}, {"hours", {0}}, {"minutes", {0}}}},
                          {"start_time", "2026-01-01T00:00:00"}});
  EXPECT_EQ(NextFire(months, At("UTC", 2026, 1, 31, 0, 0)), At("UTC", 2026, 3, 31, 0, 0));
}

TEST(TriggerTest, EndTimeStopsTheSchedule) {
  Trigger t = Parse({{"type", "cron"},
                     {"expression", "0 0 * * *"},
                     {"start_time", "2026-01-01T00:00:00"},
                     {"end_time", "2026-01-02T12:00:00"}});
  EXPECT_EQ(NextFire(t, 0), At("UTC", 2026, 1, 1, 0, 0));
  EXPECT_EQ(NextFire(t, At("UTC", 2026, 1, 1, 0, 0)), At("UTC", 2026, 1, 2, 0, 0));
  EXPECT_EQ(NextFire(t, At("UTC", 2026, 1, 2, 0, 0)), std::nullopt);
}

TEST(TriggerTest, BadTriggersNameTheProblem) {
  auto msg = [](const json& j) {
    auto t = ParseTrigger(j, 0);
    EXPECT_FALSE(t.ok());
    return t.ok() ? std::string() : t.status().message();
  };
  EXPECT_NE(msg({{"type", "cron"}, {"expression", "0 * * *"}}).find("five fields"),
            std::string::npos);
  EXPECT_NE(msg({{"type", "cron"}, {"expression", "61 * * * *"}}).find("minute"),
            std::string::npos);
  EXPECT_NE(msg({{"type", "cron"}, {"expression", "0 * * * FOO"}}).find("day-of-week"),
            std::string::npos);
  EXPECT_NE(msg({{"type", "cron"}, {"expression", "0 * * * *"}, {"time_zone", "Mars/Olympus"}})
                .find("Unknown time zone"),
            std::string::npos);
  EXPECT_NE(msg({{"type", "cron"},
                 {"expression", "0 * * * *"},
                 {"start_time", "2026-02-01"},
                 {"end_time", "2026-01-01"}})
                .find("not after its start"),
            std::string::npos);
  EXPECT_NE(
      msg({{"type", "recurrence"}, {"frequency", "fortnight"}, {"interval", 1}}).find("frequency"),
      std::string::npos);
  EXPECT_NE(msg({{"type", "recurrence"}, {"frequency", "day"}, {"interval", 0}}).find("interval"),
            std::string::npos);
  EXPECT_NE(msg({{"type", "sometimes"}}).find("cron"), std::string::npos);
}

TEST(TriggerTest, ZoneNames) {
  EXPECT_EQ(*ResolveTimeZone("Europe/Berlin"), "Europe/Berlin");
  EXPECT_EQ(*ResolveTimeZone("W. Europe Standard Time"), "Europe/Berlin");
  EXPECT_EQ(*ResolveTimeZone("UTC"), "UTC");
  EXPECT_FALSE(ResolveTimeZone("../../etc/passwd").ok());
  EXPECT_FALSE(ResolveTimeZone("+05:00").ok());
}

}  // namespace
}  // namespace mlws::schedules
