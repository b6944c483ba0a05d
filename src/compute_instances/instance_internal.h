// Internal to src/compute_instances/: the parsed spec, the lab's HTTP client and the stored form.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/compute_instances/lab_client.h"
#include "mlws/schedules/trigger.h"

namespace mlws::compute_instances {

struct InstanceSchedule {
  std::string action;  // "start" | "stop"
  schedules::Trigger trigger;
  nlohmann::json written;  // as the user wrote it (shown back)
};

struct InstanceSpec {
  std::string name;
  std::string size;
  std::string description;
  std::int64_t idle_s = 0;  // 0 = no idle shutdown
  std::vector<InstanceSchedule> schedules;
  std::vector<std::string> shared_with;
};

// Azure's compute instance YAML (as JSON): name, type computeinstance, size, description,
// idle_time_before_shutdown (ISO 8601, e.g. "PT30M") or idle_time_before_shutdown_minutes,
// schedules.compute_start_stop[] {action, trigger} and the mlws field shared_with; the ssh and
// network fields are accepted and ignored. InvalidArgument names the field.
StatusOr<InstanceSpec> ParseInstanceSpec(const nlohmann::json& spec, std::int64_t now_ms);
// "PT1H30M", "PT20S", "P1D": seconds; nullopt when not an ISO 8601 duration of days/h/m/s.
std::optional<std::int64_t> ParseIsoDuration(const std::string& text);
// Jupyter's ISO 8601 UTC time ("2026-12-01T16:02:03.123456Z") as ms since epoch; 0 if malformed.
std::int64_t ParseJupyterTime(const std::string& text);

}  // namespace mlws::compute_instances
