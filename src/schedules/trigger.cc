// Cron and recurrence triggers: parsing and next-fire arithmetic in local civil time (cctz).
#include "mlws/schedules/trigger.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>

#include "mlws/common/strings.h"
#include "schedules/windows_zones.h"

namespace mlws::schedules {

using nlohmann::json;

namespace {

using Seconds = cctz::time_point<cctz::seconds>;

Seconds ToSeconds(std::int64_t ms) {
  // Floor division: fire times are whole seconds (whole minutes, in fact).
  std::int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  return Seconds(cctz::seconds(s));
}
std::int64_t ToMs(Seconds t) { return t.time_since_epoch().count() * 1000; }

int WeekdayIndex(const cctz::civil_day& d) {  // 0 = Sunday
  switch (cctz::get_weekday(d)) {
    case cctz::weekday::sunday: return 0;
    case cctz::weekday::monday: return 1;
    case cctz::weekday::tuesday: return 2;
    case cctz::weekday::wednesday: return 3;
    case cctz::weekday::thursday: return 4;
    case cctz::weekday::friday: return 5;
    case cctz::weekday::saturday: return 6;
  }
  return 0;
}

std::string Upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// A number or (for month / day-of-week) a name; -1 when neither.
int CronValue(const std::string& tok, const std::vector<std::string>& names, int name_base) {
  if (tok.empty()) return -1;
  if (std::all_of(tok.begin(), tok.end(), [](char c) { return std::isdigit(c) != 0; })) {
    return tok.size() > 4 ? -1 : std::stoi(tok);
  }
  std::string u = Upper(tok);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == u) return static_cast<int>(i) + name_base;
  }
  return -1;
}

StatusOr<CronField> ParseCronField(const std::string& text, const char* what, int lo, int hi,
                                   const std::vector<std::string>& names = {}, int name_base = 0) {
  CronField f;
  f.star = text == "*";
  auto bad = [&](const std::string& why) {
    return InvalidArgument(
        fmt::format("Invalid cron expression: the {} field '{}' {}.", what, text, why));
  };
  for (std::string_view part_view : SplitKeepEmpty(text, ',')) {
    std::string part(part_view);
    if (part.empty()) return bad("has an empty list item");
    int step = 1;
    if (auto slash = part.find('/'); slash != std::string::npos) {
      step = CronValue(part.substr(slash + 1), {}, 0);
      if (step <= 0) return bad("has a bad step (after '/', a number of at least 1)");
      part = part.substr(0, slash);
    }
    int a = lo, b = hi;
    if (part != "*") {
      auto dash = part.find('-');
      if (dash == std::string::npos) {
        a = b = CronValue(part, names, name_base);
        if (step != 1) b = hi;  // "5/15" = from 5 every 15
      } else {
        a = CronValue(part.substr(0, dash), names, name_base);
        b = CronValue(part.substr(dash + 1), names, name_base);
      }
      if (a < 0 || b < 0) return bad("is not a number, range, step or name");
      if (a < lo || b > hi) return bad(fmt::format("is outside {}-{}", lo, hi));
      if (a > b) return bad("has a range that ends before it starts");
    }
    for (int v = a; v <= b; v += step) f.bits |= std::uint64_t{1} << v;
  }
  return f;
}

StatusOr<std::vector<int>> IntList(const json& j, const char* what, int lo, int hi) {
  std::vector<int> out;
  json arr = j.is_array() ? j : json::array({j});
  for (const auto& v : arr) {
    if (!v.is_number_integer() || v.get<int>() < lo || v.get<int>() > hi) {
      return InvalidArgument(fmt::format(
          "trigger.schedule.{} must be a list of whole numbers from {} to {}.", what, lo, hi));
    }
    out.push_back(v.get<int>());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

StatusOr<std::vector<int>> WeekDays(const json& j) {
  static const std::vector<std::string> kNames = {"sunday",   "monday", "tuesday", "wednesday",
                                                  "thursday", "friday", "saturday"};
  std::vector<int> out;
  json arr = j.is_array() ? j : json::array({j});
  for (const auto& v : arr) {
    std::string s = v.is_string() ? v.get<std::string>() : "";
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = std::find(kNames.begin(), kNames.end(), s);
    if (it == kNames.end()) {
      return InvalidArgument(
          "trigger.schedule.week_days must name days: monday, tuesday, wednesday, thursday, "
          "friday, saturday, sunday.");
    }
    out.push_back(static_cast<int>(it - kNames.begin()));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// ISO 8601: "YYYY-MM-DDTHH:MM[:SS[.fff]]" local to `tz`, or with "Z" / "±HH:MM".
StatusOr<std::int64_t> ParseTime(const json& v, const char* what, const cctz::time_zone& tz) {
  if (!v.is_string()) {
    return InvalidArgument(fmt::format("trigger.{} must be an ISO 8601 time string.", what));
  }
  std::string s = v.get<std::string>();
  if (!s.empty() && s.size() > 10 && s[10] == ' ') s[10] = 'T';
  Seconds tp;
  for (const char* f : {"%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M:%E*SZ", "%Y-%m-%dT%H:%M%Ez",
                        "%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M:%E*S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"}) {
    if (cctz::parse(f, s, tz, &tp)) return ToMs(tp);
  }
  return InvalidArgument(fmt::format(
      "trigger.{} '{}' is not an ISO 8601 time (like 2022-07-10T10:00:00, optionally with Z or "
      "an offset).",
      what, s));
}

bool CronMatchesDay(const CronSpec& c, const cctz::civil_day& d) {
  bool dom = c.month_day.Has(d.day());
  bool dow = c.week_day.Has(WeekdayIndex(d));
  // POSIX: when both are restricted, either matches; else the restricted one decides.
  if (!c.month_day.star && !c.week_day.star) return dom || dow;
  return dom && dow;
}

std::optional<std::int64_t> NextCron(const Trigger& t, const cctz::time_zone& tz,
                                     std::int64_t after_ms) {
  const CronSpec& c = t.cron;
  Seconds after = ToSeconds(after_ms);
  cctz::civil_minute m = cctz::civil_minute(cctz::convert(after, tz)) + 1;
  // Bounded: ten years of days with at most 24 * 60 steps inside a matching day.
  for (int guard = 0; guard < 4000 * 24 * 4; ++guard) {
    if (m.year() > 9999) return std::nullopt;
    if (!c.month.Has(m.month())) {
      m = cctz::civil_minute(cctz::civil_month(m) + 1);
      continue;
    }
    if (!CronMatchesDay(c, cctz::civil_day(m))) {
      m = cctz::civil_minute(cctz::civil_day(m) + 1);
      continue;
    }
    if (!c.hour.Has(m.hour())) {
      m = cctz::civil_minute(cctz::civil_hour(m) + 1);
      continue;
    }
    if (!c.minute.Has(m.minute())) {
      m += 1;
      continue;
    }
    Seconds at = cctz::convert(cctz::civil_second(m), tz);
    if (at > after) return ToMs(at);
    m += 1;  // a repeated local time already passed (fall-back): it fired at its first occurrence
  }
  return std::nullopt;
}

// day / week / month recurrences: periods counted from the start's local day, week or month.
std::optional<std::int64_t> NextCalendar(const Trigger& t, const cctz::time_zone& tz,
                                         std::int64_t after_ms) {
  Seconds after = ToSeconds(after_ms);
  cctz::civil_second start_local = cctz::convert(ToSeconds(t.start_ms), tz);
  std::vector<int> hours = t.hours, minutes = t.minutes;
  if (hours.empty()) hours = {start_local.hour()};
  if (minutes.empty()) minutes = {start_local.minute()};
  std::vector<int> week_days = t.week_days;
  if (week_days.empty()) week_days = {WeekdayIndex(cctz::civil_day(start_local))};
  std::vector<int> month_days = t.month_days;
  if (month_days.empty()) month_days = {start_local.day()};

  cctz::civil_day start_day(start_local);
  // Weeks start on Sunday (Azure's week_days are counted in the start's Sunday-based week).
  cctz::civil_day start_week = start_day - WeekdayIndex(start_day);
  cctz::civil_month start_month(start_local);
  cctz::civil_day d = std::max(start_day, cctz::civil_day(cctz::convert(after, tz)));
  for (int i = 0; i < 3700 * std::max(1, t.interval); ++i, d += 1) {
    bool on = false;
    if (t.frequency == "day") {
      on = (d - start_day) % t.interval == 0;
    } else if (t.frequency == "week") {
      cctz::civil_day week = d - WeekdayIndex(d);
      on = ((week - start_week) / 7) % t.interval == 0 &&
           std::binary_search(week_days.begin(), week_days.end(), WeekdayIndex(d));
    } else {
      on = (cctz::civil_month(d) - start_month) % t.interval == 0 &&
           std::binary_search(month_days.begin(), month_days.end(), d.day());
    }
    if (!on) continue;
    for (int h : hours) {
      for (int mi : minutes) {
        Seconds at = cctz::convert(cctz::civil_second(d.year(), d.month(), d.day(), h, mi, 0), tz);
        if (at > after && ToMs(at) >= t.start_ms) return ToMs(at);
      }
    }
  }
  return std::nullopt;
}

}  // namespace

StatusOr<CronSpec> ParseCron(const std::string& expression) {
  std::vector<std::string> f;
  std::string cur;
  for (char c : expression) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) f.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) f.push_back(cur);
  if (f.size() != 5) {
    return InvalidArgument(fmt::format(
        "Invalid cron expression '{}': it needs five fields (minute hour day-of-month month "
        "day-of-week), it has {}.",
        expression, f.size()));
  }
  static const std::vector<std::string> kMonths = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  static const std::vector<std::string> kDays = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
  CronSpec c;
  ASSIGN_OR_RETURN(c.minute, ParseCronField(f[0], "minute", 0, 59));
  ASSIGN_OR_RETURN(c.hour, ParseCronField(f[1], "hour", 0, 23));
  ASSIGN_OR_RETURN(c.month_day, ParseCronField(f[2], "day-of-month", 1, 31));
  ASSIGN_OR_RETURN(c.month, ParseCronField(f[3], "month", 1, 12, kMonths, 1));
  ASSIGN_OR_RETURN(c.week_day, ParseCronField(f[4], "day-of-week", 0, 7, kDays, 0));
  if (c.week_day.Has(7)) c.week_day.bits = (c.week_day.bits | 1) & ~(std::uint64_t{1} << 7);
  return c;
}

StatusOr<std::string> ResolveTimeZone(const std::string& name) {
  // An IANA name first ("UTC" is one), then Azure's Windows names. load_time_zone also accepts
  // fixed offsets and falls back to UTC on failure: only names the tz database has are taken.
  for (const std::string& iana : {name, WindowsToIana(name).value_or("")}) {
    cctz::time_zone tz;
    bool valid = !iana.empty() && iana.find("..") == std::string::npos && iana[0] != '/';
    if (valid && cctz::load_time_zone(iana, &tz) && tz.name() == iana) return iana;
  }
  return InvalidArgument(fmt::format(
      "Unknown time zone '{}': use an IANA name (America/Los_Angeles) or a Windows name "
      "(Pacific Standard Time).",
      name));
}

StatusOr<Trigger> ParseTrigger(const json& j, std::int64_t now_ms) {
  if (!j.is_object()) return InvalidArgument("trigger must be a mapping with a 'type'.");
  Trigger t;
  auto text = [&](const char* k) {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  std::string type = text("type");
  static const std::set<std::string> kCommon = {"type", "start_time", "end_time", "time_zone"};
  std::set<std::string> allowed = kCommon;
  if (type == "cron") {
    t.type = Trigger::Type::kCron;
    allowed.insert("expression");
    if (!j.contains("expression") || !j["expression"].is_string()) {
      return InvalidArgument("trigger.expression (a cron expression) is required for cron.");
    }
    t.expression = j["expression"].get<std::string>();
    ASSIGN_OR_RETURN(t.cron, ParseCron(t.expression));
  } else if (type == "recurrence") {
    t.type = Trigger::Type::kRecurrence;
    allowed.insert({"frequency", "interval", "schedule"});
    t.frequency = text("frequency");
    for (auto& c : t.frequency) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    static const std::set<std::string> kFreq = {"minute", "hour", "day", "week", "month"};
    if (!kFreq.count(t.frequency)) {
      return InvalidArgument("trigger.frequency must be one of minute, hour, day, week, month.");
    }
    if (!j.contains("interval") || !j["interval"].is_number_integer() ||
        j["interval"].get<std::int64_t>() < 1 || j["interval"].get<std::int64_t>() > 1000) {
      return InvalidArgument("trigger.interval must be a whole number from 1 to 1000.");
    }
    t.interval = j["interval"].get<int>();
    if (j.contains("schedule") && !j["schedule"].is_null()) {
      const json& s = j["schedule"];
      if (!s.is_object()) return InvalidArgument("trigger.schedule must be a mapping.");
      if (t.frequency == "minute" || t.frequency == "hour") {
        return InvalidArgument(
            "trigger.schedule applies to frequency day, week or month only (not " + t.frequency +
            ").");
      }
      for (const auto& [k, v] : s.items()) {
        if (k == "hours") {
          ASSIGN_OR_RETURN(t.hours, IntList(v, "hours", 0, 23));
        } else if (k == "minutes") {
          ASSIGN_OR_RETURN(t.minutes, IntList(v, "minutes", 0, 59));
        } else if (k == "week_days") {
          ASSIGN_OR_RETURN(t.week_days, WeekDays(v));
        } else if (k == "month_days") {
          ASSIGN_OR_RETURN(t.month_days, IntList(v, "month_days", 1, 31));
        } else {
          return InvalidArgument("Unknown field trigger.schedule." + k +
                                 " (hours, minutes, week_days, month_days).");
        }
      }
      if (!t.week_days.empty() && t.frequency != "week") {
        return InvalidArgument("trigger.schedule.week_days needs frequency: week.");
      }
      if (!t.month_days.empty() && t.frequency != "month") {
        return InvalidArgument("trigger.schedule.month_days needs frequency: month.");
      }
    }
  } else {
    return InvalidArgument("trigger.type must be 'cron' or 'recurrence'.");
  }
  for (const auto& [k, v] : j.items()) {
    if (!allowed.count(k)) return InvalidArgument("Unknown field trigger." + k + ".");
  }
  if (j.contains("time_zone") && !j["time_zone"].is_null()) {
    if (!j["time_zone"].is_string()) return InvalidArgument("trigger.time_zone must be a string.");
    t.time_zone = j["time_zone"].get<std::string>();
  }
  ASSIGN_OR_RETURN(t.zone, ResolveTimeZone(t.time_zone));
  cctz::time_zone tz;
  if (!cctz::load_time_zone(t.zone, &tz)) tz = cctz::utc_time_zone();
  t.start_ms = now_ms;
  if (j.contains("start_time") && !j["start_time"].is_null()) {
    ASSIGN_OR_RETURN(t.start_ms, ParseTime(j["start_time"], "start_time", tz));
  }
  if (j.contains("end_time") && !j["end_time"].is_null()) {
    ASSIGN_OR_RETURN(t.end_ms, ParseTime(j["end_time"], "end_time", tz));
    if (t.end_ms <= t.start_ms) {
      return InvalidArgument(fmt::format("trigger.end_time ({}) is not after its start ({}).",
                                         FormatUtc(t.end_ms), FormatUtc(t.start_ms)));
    }
  }
  return t;
}

std::optional<std::int64_t> NextFire(const Trigger& t, std::int64_t after_ms) {
  cctz::time_zone tz;
  if (!cctz::load_time_zone(t.zone, &tz)) tz = cctz::utc_time_zone();
  std::optional<std::int64_t> next;
  if (t.type == Trigger::Type::kCron) {
    next = NextCron(t, tz, std::max(after_ms, t.start_ms - 1));
  } else if (t.frequency == "minute" || t.frequency == "hour") {
    // Every `interval` minutes / hours from the start, in absolute time.
    std::int64_t period =
        static_cast<std::int64_t>(t.interval) * (t.frequency == "minute" ? 60'000 : 3'600'000);
    if (after_ms < t.start_ms) {
      next = t.start_ms;
    } else {
      next = t.start_ms + ((after_ms - t.start_ms) / period + 1) * period;
    }
  } else {
    next = NextCalendar(t, tz, after_ms);
  }
  if (next && t.end_ms != 0 && *next > t.end_ms) return std::nullopt;
  return next;
}

std::string FormatUtc(std::int64_t ms) {
  Seconds s = ToSeconds(ms);
  std::int64_t frac = ms - ToMs(s);
  return cctz::format("%Y-%m-%dT%H:%M:%S", s, cctz::utc_time_zone()) +
         fmt::format(".{:03d}Z", frac);
}

}  // namespace mlws::schedules
