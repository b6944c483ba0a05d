#include "mlws/common/status.h"

namespace mlws {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "OK";
    case ErrorCode::kInvalidParameterValue: return "INVALID_PARAMETER_VALUE";
    case ErrorCode::kBadRequest: return "BAD_REQUEST";
    case ErrorCode::kResourceAlreadyExists: return "RESOURCE_ALREADY_EXISTS";
    case ErrorCode::kResourceDoesNotExist: return "RESOURCE_DOES_NOT_EXIST";
    case ErrorCode::kEndpointNotFound: return "ENDPOINT_NOT_FOUND";
    case ErrorCode::kPermissionDenied: return "PERMISSION_DENIED";
    case ErrorCode::kUnauthenticated: return "UNAUTHENTICATED";
    case ErrorCode::kResourceConflict: return "RESOURCE_CONFLICT";
    case ErrorCode::kRequestLimitExceeded: return "REQUEST_LIMIT_EXCEEDED";
    case ErrorCode::kInternalError: return "INTERNAL_ERROR";
    case ErrorCode::kNotImplemented: return "NOT_IMPLEMENTED";
    case ErrorCode::kTemporarilyUnavailable: return "TEMPORARILY_UNAVAILABLE";
    case ErrorCode::kPayloadTooLarge: return "INVALID_PARAMETER_VALUE";
    case ErrorCode::kQuotaExceeded: return "RESOURCE_EXHAUSTED";
  }
  return "INTERNAL_ERROR";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(ErrorCodeName(code_)) + ": " + message_;
}

}  // namespace mlws
