// Status and StatusOr<T>: errors as values across every module boundary.
//
// A Status is either OK or carries an ErrorCode and a human-readable message. The codes are the
// MLflow error codes (mlflow/protos/databricks.proto), because they are what the HTTP layer sends
// to clients; http/status_mapping.cc is the one place that maps a code to an HTTP status.
//
// Status and StatusOr are value types, cheap to move, not thread-safe to mutate concurrently
// (like any value). Functions that can fail return them and are [[nodiscard]].
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mlws {

enum class ErrorCode {
  kOk = 0,
  kInvalidParameterValue,   // 400: validation failed, bad filter, over a limit
  kBadRequest,              // 400: malformed request (JSON syntax, wrong types)
  kResourceAlreadyExists,   // 400 (MLflow sends 400, not 409)
  kResourceDoesNotExist,    // 404
  kEndpointNotFound,        // 404
  kPermissionDenied,        // 403
  kUnauthenticated,         // 401
  kResourceConflict,        // 409
  kRequestLimitExceeded,    // 429
  kInternalError,           // 500
  kNotImplemented,          // 501
  kTemporarilyUnavailable,  // 503
  kPayloadTooLarge,         // 413 (sent as error_code BAD_REQUEST-like INVALID_PARAMETER_VALUE)
  kQuotaExceeded,           // 413 RESOURCE_EXHAUSTED: a workspace's storage quota is used up
};

// The wire name of a code, e.g. "RESOURCE_DOES_NOT_EXIST".
std::string_view ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// Shorthands for the common codes.
inline Status InvalidArgument(std::string msg) {
  return Status(ErrorCode::kInvalidParameterValue, std::move(msg));
}
inline Status BadRequest(std::string msg) { return Status(ErrorCode::kBadRequest, std::move(msg)); }
inline Status NotFound(std::string msg) {
  return Status(ErrorCode::kResourceDoesNotExist, std::move(msg));
}
inline Status AlreadyExists(std::string msg) {
  return Status(ErrorCode::kResourceAlreadyExists, std::move(msg));
}
inline Status Internal(std::string msg) {
  return Status(ErrorCode::kInternalError, std::move(msg));
}

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "StatusOr built from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &std::get<T>(v_); }
  const T* operator->() const { return &std::get<T>(v_); }
  T& operator*() & { return std::get<T>(v_); }
  const T& operator*() const& { return std::get<T>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace mlws

#define MLWS_CONCAT_INNER(a, b) a##b
#define MLWS_CONCAT(a, b) MLWS_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define RETURN_IF_ERROR(expr)            \
  do {                                   \
    ::mlws::Status _mlws_st = (expr);    \
    if (!_mlws_st.ok()) return _mlws_st; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, Foo());` evaluates Foo() (a StatusOr) and returns its Status on error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(MLWS_CONCAT(_mlws_sor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
