// A small blocking HTTP client on libcurl for the CLI. Not thread-safe per instance.
#pragma once

#include <string>

#include "mlws/common/status.h"

namespace mlws::cli {

struct HttpResult {
  long status = 0;
  std::string body;
};

// `method` GET/POST/DELETE; `body` JSON (sent with Content-Type: application/json if non-empty);
// `authorization` the Authorization header value, if not empty.
// Connection failures give TemporarilyUnavailable with the URL in the message.
StatusOr<HttpResult> HttpCall(const std::string& method, const std::string& url,
                              const std::string& body, const std::string& authorization = "");

}  // namespace mlws::cli
