// Schedule triggers: Azure ML's schedule YAML `trigger` (cron or recurrence) parsed into a
// Trigger, and the fire-time arithmetic.
//
// Times of day are local to the trigger's time zone, read from the system tz database
// (/usr/share/zoneinfo, through cctz). IANA names ("America/Los_Angeles") and Azure's Windows
// names ("Pacific Standard Time") are both accepted; "UTC" is the default.
//
// Daylight-saving rules (docs/schedules.md): a local time skipped by a spring-forward jump fires
// at the instant the clock jumps to (02:30 in a 02:00→03:00 gap fires at 03:00 local); a local
// time that occurs twice on fall-back fires once, at its first occurrence.
//
// Pure functions, thread-safe. ParseTrigger returns InvalidArgument naming the bad field.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::schedules {

// One field of a cron expression: the allowed values, as a bitmask over 0..63.
struct CronField {
  std::uint64_t bits = 0;
  bool star = false;  // written as "*" (matters for the day-of-month / day-of-week rule)
  bool Has(int v) const { return v >= 0 && v < 64 && ((bits >> v) & 1) != 0; }
};

struct CronSpec {
  CronField minute, hour, month_day, month, week_day;  // week_day: 0 = Sunday
};

struct Trigger {
  enum class Type { kCron, kRecurrence };
  Type type = Type::kCron;
  std::string expression;  // cron: as written
  CronSpec cron;
  // Recurrence.
  std::string frequency;  // minute | hour | day | week | month
  int interval = 1;
  std::vector<int> hours, minutes, week_days, month_days;  // week_days: 0 = Sunday
  std::string time_zone = "UTC";                           // as written
  std::string zone;                                        // the IANA name it resolved to
  std::int64_t start_ms = 0;  // first possible fire time (ms since epoch)
  std::int64_t end_ms = 0;    // 0 = never ends; no fire time after it
};

// Parses a cron expression: five fields (minute hour day-of-month month day-of-week), each `*`,
// a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list of those; month and
// day-of-week also take names (JAN, MON). When both day fields are restricted, a day matching
// either fires (POSIX cron).
StatusOr<CronSpec> ParseCron(const std::string& expression);

// The IANA zone for an IANA or Windows zone name; InvalidArgument when the tz database has none.
StatusOr<std::string> ResolveTimeZone(const std::string& name);

// Parses `trigger` (the YAML mapping as JSON). start_time / end_time are ISO 8601 local times in
// the trigger's zone ("2022-07-10T10:00:00"), or carry their own offset ("…Z", "…+02:00");
// a missing start_time is `now_ms`.
StatusOr<Trigger> ParseTrigger(const nlohmann::json& trigger, std::int64_t now_ms);

// The first fire time strictly after `after_ms` (and not before the start), or nullopt when the
// schedule has no fire time left (past its end, or none within the next ten years).
std::optional<std::int64_t> NextFire(const Trigger& t, std::int64_t after_ms);

// `ms` as ISO 8601 UTC with milliseconds ("2026-12-01T13:00:00.000Z").
std::string FormatUtc(std::int64_t ms);

}  // namespace mlws::schedules
