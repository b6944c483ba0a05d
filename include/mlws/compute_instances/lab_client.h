// LabCall: one HTTP exchange with a compute instance's lab on 127.0.0.1:<port>
// (Connection: close), under a deadline. Used by the service (readiness, activity) and the lab
// proxy. Thread-safe. Errors: TemporarilyUnavailable (refused, reset, timed out).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::compute_instances {

// One HTTP exchange with a lab on 127.0.0.1:<port> (Connection: close), with a deadline.
struct LabReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};
StatusOr<LabReply> LabCall(int port, const std::string& method, const std::string& target,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           const std::string& body, int timeout_ms);

}  // namespace mlws::compute_instances
