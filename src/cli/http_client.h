// A small blocking HTTP client on libcurl for the CLI. Not thread-safe per instance.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::cli {

struct HttpResult {
  long status = 0;
  std::string body;
};

// `method` GET/POST/DELETE; `body` JSON (sent with Content-Type: application/json if non-empty);
// `authorization` the Authorization header value, if not empty; `extra_headers` more
// "Name: value" lines. Connection failures give TemporarilyUnavailable with the URL in the
// message.
StatusOr<HttpResult> HttpCall(const std::string& method, const std::string& url,
                              const std::string& body, const std::string& authorization = "",
                              long timeout_s = 120,
                              const std::vector<std::string>& extra_headers = {});

// PUT of a local file as the body (streamed), with `progress(sent, total)` called as it goes.
StatusOr<HttpResult> HttpUploadFile(
    const std::string& url, const std::string& file_path, const std::string& authorization,
    const std::function<void(std::int64_t, std::int64_t)>& progress);

// GET into a local file (written to `dest_path`); on HTTP errors the body is returned instead
// and the file removed.
StatusOr<HttpResult> HttpDownloadFile(const std::string& url, const std::string& dest_path,
                                      const std::string& authorization);

}  // namespace mlws::cli
