// RequestDecoder: one view over an RPC's input, whether it came as a JSON body (POST, PATCH,
// DELETE) or as a query string (GET), as MLflow's server reads them. Every accessor checks the
// type and returns InvalidArgument with MLflow's wording on a wrong or missing value, so
// handlers never touch raw JSON. Not thread-safe (one per request).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/http/request.h"

namespace mlws::api {

class RequestDecoder {
 public:
  // Parses the body (if JSON is expected) or takes the query. Malformed JSON -> BadRequest.
  static StatusOr<RequestDecoder> From(const http::Request& req);
  ~RequestDecoder();
  RequestDecoder(RequestDecoder&&) noexcept;
  RequestDecoder& operator=(RequestDecoder&&) noexcept;

  bool Has(const std::string& name) const;
  StatusOr<std::string> RequiredString(const std::string& name) const;
  StatusOr<std::optional<std::string>> OptionalString(const std::string& name) const;
  StatusOr<std::optional<std::int64_t>> OptionalInt(const std::string& name) const;
  StatusOr<std::optional<bool>> OptionalBool(const std::string& name) const;
  StatusOr<std::vector<std::string>> StringList(const std::string& name) const;
  // The raw JSON value of a field (objects/arrays), or null when absent.
  const nlohmann::json& Json(const std::string& name) const;

 private:
  RequestDecoder();
  struct Impl;
  Impl* impl_;
};

Status MissingParameter(const std::string& name);

// Converts a JSON value to int64 / double as protobuf-JSON allows (numbers or numeric strings,
// "NaN"/"Infinity"/"-Infinity" for doubles). `what` names the field in errors.
StatusOr<std::int64_t> JsonToInt64(const nlohmann::json& v, const std::string& what);
StatusOr<double> JsonToDouble(const nlohmann::json& v, const std::string& what);
StatusOr<std::string> JsonToString(const nlohmann::json& v, const std::string& what);

}  // namespace mlws::api
