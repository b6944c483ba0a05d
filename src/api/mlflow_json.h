// Rendering tracking entities as MLflow's protobuf-JSON (snake_case names, int64 as numbers,
// defaults omitted, NaN/Infinity as strings) and parsing the repeated key/value inputs.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/tracking/entities.h"

namespace mlws::api {

nlohmann::json DoubleJson(double v);
nlohmann::json ToJson(const tracking::Experiment& e);
nlohmann::json ToJson(const tracking::RunInfo& r);
nlohmann::json ToJson(const tracking::Run& r);
nlohmann::json ToJson(const tracking::Metric& m);
nlohmann::json ToJson(const tracking::TraceInfo& t);
nlohmann::json ToJson(const tracking::Workspace& w);
// The JSON Schema of ToJson(Workspace) (an /api/v1/openapi.json component).
nlohmann::json WorkspaceSchema();
nlohmann::json KeyValuesJson(const std::vector<tracking::KeyValue>& kvs);

// Appends `{"key":...,"value":...,"timestamp":...,"step":...}` (fast path for long histories).
// `quoted_key` is the key already rendered as a JSON string (see QuoteJson).
void AppendMetricJson(std::string& out, const tracking::MetricPoint& m,
                      const std::string& quoted_key, const std::string* run_id);
// The same into a caller's buffer of at least MetricJsonMaxSize bytes; returns the end.
// `value_prefix` is MetricJsonPrefix(quoted_key): `{"key":<quoted key>,"value":`.
char* WriteMetricJson(char* p, const tracking::MetricPoint& m, std::string_view value_prefix,
                      const std::string* run_id);
std::string MetricJsonPrefix(const std::string& quoted_key);
// Writes what std::to_chars(p, p + 32, v) writes (the shortest form), faster for most values.
char* WriteShortestDouble(char* p, double v);
std::size_t MetricJsonMaxSize(std::string_view value_prefix, const std::string* run_id);
std::string QuoteJson(const std::string& s);

// Parses [{"key":..,"value":..}]; `what` names the field in errors. Missing key is an error;
// a missing value is "" (protobuf default) unless `value_required`.
StatusOr<std::vector<tracking::KeyValue>> ParseKeyValues(const nlohmann::json& arr,
                                                         const std::string& what,
                                                         bool value_required);

// Serialises without throwing on invalid UTF-8 (replaced).
std::string Dump(const nlohmann::json& j);

}  // namespace mlws::api
