// The compute instance YAML (docs/compute.md#compute-instances) and the times it holds.
#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <set>

#include "compute_instances/instance_internal.h"

namespace mlws::compute_instances {

using nlohmann::json;

namespace {

constexpr std::int64_t kMaxIdleS = 14LL * 24 * 3600;  // 14 days
constexpr size_t kMaxSchedules = 20;
constexpr size_t kMaxShared = 50;

bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 24 || !std::isalpha(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return n.back() != '-';
}

StatusOr<std::vector<InstanceSchedule>> ParseSchedules(const json& s, std::int64_t now_ms) {
  if (!s.is_object()) return InvalidArgument("'schedules' must be a mapping.");
  std::vector<InstanceSchedule> out;
  for (const auto& [k, v] : s.items()) {
    if (k != "compute_start_stop") {
      return InvalidArgument(
          fmt::format("Unknown field 'schedules.{}': use schedules.compute_start_stop.", k));
    }
    if (!v.is_array()) return InvalidArgument("'schedules.compute_start_stop' must be a list.");
    if (v.size() > kMaxSchedules) {
      return InvalidArgument(fmt::format("At most {} start/stop schedules.", kMaxSchedules));
    }
    for (const auto& e : v) {
      if (!e.is_object()) {
        return InvalidArgument("Each of 'schedules.compute_start_stop' must be a mapping.");
      }
      InstanceSchedule sch;
      std::string action = e.value("action", json()).is_string() ? e.value("action", "") : "";
      if (action != "start" && action != "stop") {
        return InvalidArgument(
            "'schedules.compute_start_stop[].action' must be 'start' or 'stop'.");
      }
      for (const auto& [f, _] : e.items()) {
        if (f != "action" && f != "trigger" && f != "state" && f != "status") {
          return InvalidArgument(
              fmt::format("Unknown field '{}' in schedules.compute_start_stop[].", f));
        }
      }
      if (!e.contains("trigger")) {
        return InvalidArgument("'schedules.compute_start_stop[]' needs a 'trigger'.");
      }
      auto t = schedules::ParseTrigger(e["trigger"], now_ms);
      if (!t.ok()) {
        return InvalidArgument("schedules.compute_start_stop[].trigger: " + t.status().message());
      }
      sch.action = action;
      sch.trigger = *t;
      sch.written = e;
      out.push_back(std::move(sch));
    }
  }
  return out;
}

}  // namespace

std::optional<std::int64_t> ParseIsoDuration(const std::string& text) {
  if (text.size() < 3 || text[0] != 'P') return std::nullopt;
  std::int64_t total = 0;
  bool in_time = false;
  bool any = false;
  std::int64_t num = -1;
  for (size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == 'T') {
      if (in_time || num >= 0) return std::nullopt;
      in_time = true;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      num = (num < 0 ? 0 : num) * 10 + (c - '0');
      if (num > 1000000000) return std::nullopt;
      continue;
    }
    if (num < 0) return std::nullopt;
    std::int64_t unit = 0;
    if (!in_time && c == 'D') unit = 86400;
    if (in_time && c == 'H') unit = 3600;
    if (in_time && c == 'M') unit = 60;
    if (in_time && c == 'S') unit = 1;
    if (unit == 0) return std::nullopt;
    total += num * unit;
    num = -1;
    any = true;
  }
  if (num >= 0 || !any) return std::nullopt;
  return total;
}

std::int64_t ParseJupyterTime(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  if (text.size() < 19) return 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return 0;
  }
  if (text.size() > 20 && text[19] == '.') {
    std::string frac = text.substr(20, 3);
    while (frac.size() < 3) frac += '0';
    ms = std::atoi(frac.c_str());
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

StatusOr<InstanceSpec> ParseInstanceSpec(const json& spec, std::int64_t now_ms) {
  if (!spec.is_object()) return InvalidArgument("The compute spec must be a mapping.");
  // Accepted and ignored (docs/compute.md): ssh and network settings, identity, location.
  static const std::set<std::string> kAllowed = {"$schema",
                                                 "name",
                                                 "type",
                                                 "size",
                                                 "description",
                                                 "tags",
                                                 "location",
                                                 "identity",
                                                 "idle_time_before_shutdown",
                                                 "idle_time_before_shutdown_minutes",
                                                 "schedules",
                                                 "ssh_public_access_enabled",
                                                 "ssh_settings",
                                                 "network_settings",
                                                 "enable_node_public_ip",
                                                 "enable_sso",
                                                 "enable_root_access",
                                                 "setup_scripts",
                                                 "create_on_behalf_of",
                                                 "shared_with"};
  for (const auto& [k, v] : spec.items()) {
    if (!kAllowed.contains(k)) {
      return InvalidArgument(fmt::format("Unknown field '{}' in the compute instance spec.", k));
    }
  }
  InstanceSpec out;
  if (!spec.contains("name") || !spec["name"].is_string()) {
    return InvalidArgument("A compute instance needs a 'name'.");
  }
  out.name = spec["name"].get<std::string>();
  if (!ValidName(out.name)) {
    return InvalidArgument(fmt::format(
        "Invalid compute instance name '{}': 1 to 24 letters, digits or '-', starting with a "
        "letter and not ending with '-'.",
        out.name.substr(0, 40)));
  }
  for (const char* k : {"size", "description"}) {
    if (spec.contains(k) && !spec[k].is_string()) {
      return InvalidArgument(fmt::format("'{}' must be a string.", k));
    }
  }
  out.size = spec.value("size", std::string());
  out.description = spec.value("description", std::string());
  if (out.size.size() > 100 || out.description.size() > 1000) {
    return InvalidArgument("'size' is at most 100 characters, 'description' at most 1000.");
  }
  if (spec.contains("idle_time_before_shutdown") &&
      spec.contains("idle_time_before_shutdown_minutes")) {
    return InvalidArgument(
        "Give idle_time_before_shutdown or idle_time_before_shutdown_minutes, not both.");
  }
  if (spec.contains("idle_time_before_shutdown")) {
    const json& v = spec["idle_time_before_shutdown"];
    auto secs = v.is_string() ? ParseIsoDuration(v.get<std::string>()) : std::nullopt;
    if (!secs) {
      return InvalidArgument(
          "'idle_time_before_shutdown' must be an ISO 8601 duration such as \"PT30M\".");
    }
    out.idle_s = *secs;
  } else if (spec.contains("idle_time_before_shutdown_minutes")) {
    const json& v = spec["idle_time_before_shutdown_minutes"];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0) {
      return InvalidArgument("'idle_time_before_shutdown_minutes' must be a whole number >= 0.");
    }
    out.idle_s = v.get<std::int64_t>() * 60;
  }
  if (out.idle_s < 0 || out.idle_s > kMaxIdleS) {
    return InvalidArgument("The idle time before shutdown is at most 14 days.");
  }
  if (spec.contains("schedules") && !spec["schedules"].is_null()) {
    ASSIGN_OR_RETURN(out.schedules, ParseSchedules(spec["schedules"], now_ms));
  }
  if (spec.contains("shared_with")) {
    const json& v = spec["shared_with"];
    if (!v.is_array() || v.size() > kMaxShared) {
      return InvalidArgument(
          fmt::format("'shared_with' must be a list of at most {} user names.", kMaxShared));
    }
    for (const auto& u : v) {
      if (!u.is_string() || u.get<std::string>().empty()) {
        return InvalidArgument("'shared_with' must hold user names.");
      }
      out.shared_with.push_back(u.get<std::string>());
    }
  }
  return out;
}

}  // namespace mlws::compute_instances
