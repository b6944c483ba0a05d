// OTLP/HTTP trace export bodies (ExportTraceServiceRequest, opentelemetry-proto
// collector/trace/v1) decoded into the few fields mlws keeps of each span.
//
// Two encodings, as OTLP/HTTP defines them: binary protobuf (application/x-protobuf), read by
// a small wire-format decoder of the messages below (no generated code), and OTLP JSON
// (application/json: lowerCamelCase keys, trace/span ids as hex, 64-bit integers as strings or
// numbers; snake_case keys are accepted too, as protobuf's JSON parser accepts them).
//
// Messages read (field numbers from the OTLP spec): ExportTraceServiceRequest.resource_spans(1);
// ResourceSpans.resource(1), .scope_spans(2); Resource.attributes(1); ScopeSpans.spans(2);
// Span.trace_id(1), span_id(2), parent_span_id(4), name(5), start_time_unix_nano(7),
// end_time_unix_nano(8), attributes(9), events(11), status(15); Event.time_unix_nano(1),
// name(2), attributes(3); Status.message(2), code(3); KeyValue.key(1), value(2); AnyValue
// string(1) bool(2) int(3) double(4) array(5) kvlist(6) bytes(7). Every other field is skipped.
//
// Errors are InvalidArgument "Invalid OpenTelemetry format..." (truncated or malformed wire data,
// a group wire type, bad JSON, a trace id that is not 16 bytes or a span id that is not 8, a
// value nested deeper than kMaxOtlpValueDepth, more than kMaxOtlpSpans spans).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::tracking {

inline constexpr int kMaxOtlpValueDepth = 32;
inline constexpr size_t kMaxOtlpSpans = 100000;

struct OtlpEvent {
  std::string name;
  std::uint64_t time_unix_nano = 0;
  nlohmann::ordered_json attributes = nlohmann::ordered_json::object();  // key -> value
};

struct OtlpSpan {
  std::string trace_id;        // 16 raw bytes
  std::string span_id;         // 8 raw bytes
  std::string parent_span_id;  // 8 raw bytes, or empty for a root span
  std::string name;
  std::uint64_t start_time_unix_nano = 0;
  std::uint64_t end_time_unix_nano = 0;
  // Attribute key -> its AnyValue decoded to JSON (string, bool, integer, double, array,
  // object; bytes become a base64 string; an unset value is null).
  nlohmann::ordered_json attributes = nlohmann::ordered_json::object();
  std::vector<OtlpEvent> events;
  int status_code = 0;  // 0 UNSET, 1 OK, 2 ERROR
  std::string status_message;
  std::string service_name;  // the resource's "service.name" attribute, if a string
};

StatusOr<std::vector<OtlpSpan>> DecodeOtlpProtobuf(std::string_view body);
StatusOr<std::vector<OtlpSpan>> DecodeOtlpJson(std::string_view body);

std::string HexEncode(std::string_view bytes);
std::string Base64Encode(std::string_view bytes);

}  // namespace mlws::tracking
