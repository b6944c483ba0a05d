#include "mlws/http/request.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "mlws/common/ids.h"
#include "mlws/common/json.h"
#include "mlws/common/strings.h"

namespace mlws::http {

std::optional<std::string> Request::Query(std::string_view key) const {
  auto it = query.find(std::string(key));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Request::QueryAll(std::string_view key) const {
  std::vector<std::string> out;
  auto [b, e] = query.equal_range(std::string(key));
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

std::optional<std::string> Request::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return std::nullopt;
}

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return 200;
    case ErrorCode::kInvalidParameterValue:
    case ErrorCode::kBadRequest:
    case ErrorCode::kResourceAlreadyExists: return 400;
    case ErrorCode::kResourceDoesNotExist:
    case ErrorCode::kEndpointNotFound: return 404;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kResourceConflict: return 409;
    case ErrorCode::kPayloadTooLarge:
    case ErrorCode::kQuotaExceeded: return 413;
    case ErrorCode::kRequestLimitExceeded: return 429;
    case ErrorCode::kInternalError: return 500;
    case ErrorCode::kNotImplemented: return 501;
    case ErrorCode::kTemporarilyUnavailable: return 503;
  }
  return 500;
}

Response ErrorResponse(const Status& status) {
  std::string message = status.message();
  if (status.code() == ErrorCode::kInternalError) {
    // An internal error's text can hold SQLite's messages or absolute paths on the server: it
    // goes to the server's log under a reference the client is given instead.
    std::string ref = NewRunId().substr(0, 12);
    spdlog::error("internal error {}: {}", ref, message);
    message = "internal error (reference " + ref + "; the server log has the details)";
  }
  nlohmann::json j = {{"error_code", std::string(ErrorCodeName(status.code()))},
                      {"message", std::move(message)}};
  Response r = JsonResponse(DumpJson(j), HttpStatusFor(status.code()));
  // Every 503 is a passing condition (a full queue, a busy database, a stopping server): the
  // client is told when to retry (MLflow's client retries 503 by itself).
  if (status.code() == ErrorCode::kTemporarilyUnavailable)
    r.headers.emplace_back("Retry-After", "1");
  return r;
}

Response JsonResponse(std::string json, int status) {
  Response r;
  r.status = status;
  r.body = std::move(json);
  return r;
}

Response TextResponse(std::string text, int status) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(text);
  return r;
}

std::optional<std::string> PercentDecode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  // Decoded text goes into names, keys and file paths: refuse bytes no JSON text can carry.
  if (out.find('\0') != std::string::npos || !IsValidUtf8(out)) return std::nullopt;
  return out;
}

Status ParseQueryString(std::string_view qs, std::multimap<std::string, std::string>& out) {
  size_t start = 0;
  while (start < qs.size()) {
    size_t end = qs.find('&', start);
    if (end == std::string_view::npos) end = qs.size();
    std::string_view pair = qs.substr(start, end - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      auto k = PercentDecode(pair.substr(0, eq), true);
      auto v = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
      if (!k || !v)
        return BadRequest("malformed percent-encoding or invalid UTF-8 in the query string");
      out.emplace(std::move(*k), std::move(*v));
    }
    start = end + 1;
  }
  return Status::Ok();
}

}  // namespace mlws::http
