#include "api/mlflow_json.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mlws/api/request_decoder.h"
#include "mlws/common/json.h"

namespace mlws::api {

using nlohmann::json;

json DoubleJson(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

json KeyValuesJson(const std::vector<tracking::KeyValue>& kvs) {
  json arr = json::array();
  for (const auto& kv : kvs) arr.push_back({{"key", kv.key}, {"value", kv.value}});
  return arr;
}

json ToJson(const tracking::Workspace& w) {
  return {{"name", w.name}, {"description", w.description}, {"creation_time", w.creation_time}};
}

json WorkspaceSchema() {
  return json::parse(R"({
    "type": "object", "additionalProperties": false,
    "required": ["name", "description", "creation_time"],
    "properties": {"name": {"type": "string"}, "description": {"type": "string"},
                   "creation_time": {"type": "integer"}}})");
}

json ToJson(const tracking::Experiment& e) {
  json j = {{"experiment_id", e.experiment_id},
            {"name", e.name},
            {"artifact_location", e.artifact_location},
            {"lifecycle_stage", tracking::LifecycleName(e.lifecycle_stage)},
            {"last_update_time", e.last_update_time},
            {"creation_time", e.creation_time}};
  if (!e.tags.empty()) j["tags"] = KeyValuesJson(e.tags);
  return j;
}

json ToJson(const tracking::RunInfo& r) {
  json j = {{"run_id", r.run_id},
            {"run_uuid", r.run_id},
            {"run_name", r.run_name},
            {"experiment_id", r.experiment_id},
            {"user_id", r.user_id},
            {"status", tracking::RunStatusName(r.status)},
            {"start_time", r.start_time},
            {"artifact_uri", r.artifact_uri},
            {"lifecycle_stage", tracking::LifecycleName(r.lifecycle_stage)}};
  if (r.end_time) j["end_time"] = *r.end_time;
  return j;
}

json ToJson(const tracking::Metric& m) {
  return {
      {"key", m.key}, {"value", DoubleJson(m.value)}, {"timestamp", m.timestamp}, {"step", m.step}};
}

json ToJson(const tracking::Run& r) {
  json data = json::object();
  if (!r.metrics.empty()) {
    json ms = json::array();
    for (const auto& m : r.metrics) ms.push_back(ToJson(m));
    data["metrics"] = std::move(ms);
  }
  if (!r.params.empty()) data["params"] = KeyValuesJson(r.params);
  if (!r.tags.empty()) data["tags"] = KeyValuesJson(r.tags);
  json inputs = json::object();
  if (!r.inputs.empty()) {
    json arr = json::array();
    for (const auto& in : r.inputs) {
      const auto& d = in.dataset;
      json ds = {{"name", d.name},
                 {"digest", d.digest},
                 {"source_type", d.source_type},
                 {"source", d.source}};
      if (!d.schema.empty()) ds["schema"] = d.schema;
      if (!d.profile.empty()) ds["profile"] = d.profile;
      json item = {{"dataset", std::move(ds)}};
      if (!in.tags.empty()) item["tags"] = KeyValuesJson(in.tags);
      arr.push_back(std::move(item));
    }
    inputs["dataset_inputs"] = std::move(arr);
  }
  return {{"info", ToJson(r.info)}, {"data", std::move(data)}, {"inputs", std::move(inputs)}};
}

json ToJson(const tracking::TraceInfo& t) {
  json j = {{"request_id", t.request_id},
            {"experiment_id", t.experiment_id},
            {"timestamp_ms", t.timestamp_ms},
            {"execution_time_ms", t.execution_time_ms},
            {"status", tracking::TraceStatusName(t.status)}};
  if (!t.request_metadata.empty()) j["request_metadata"] = KeyValuesJson(t.request_metadata);
  if (!t.tags.empty()) j["tags"] = KeyValuesJson(t.tags);
  return j;
}

std::string QuoteJson(const std::string& s) { return DumpJson(json(s)); }

namespace {

char* Put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

constexpr int kFastDecimals = 8;
constexpr double kFastScale = 1e8;  // 10^kFastDecimals
constexpr double kFastBelow = 1e7;  // then |v| * kFastScale < 10^15: 15 digits at most

}  // namespace

// A value with at most 8 decimals and 15 significant digits (most logged metrics) is the
// integer n = |v| * 10^8 over 10^8: if dividing back gives v exactly, n's digits (trailing zeros
// dropped) are v's shortest form, since no two decimals of 15 digits or fewer name one double.
// std::to_chars writes that in fixed notation unless scientific is shorter; only then, and for
// every other value, std::to_chars runs (its shortest-form search was most of a history's time).
char* WriteShortestDouble(char* p, double v) {
  double a = std::fabs(v);
  if (a > 0 && a < kFastBelow) {
    double scaled = std::nearbyint(a * kFastScale);
    if (scaled / kFastScale == a) {
      auto n = static_cast<std::uint64_t>(scaled);
      int k = kFastDecimals;
      while (k > 0 && n % 10 == 0) {
        n /= 10;
        --k;
      }
      char digits[20];
      int nd = static_cast<int>(std::to_chars(digits, digits + sizeof(digits), n).ptr - digits);
      int m = nd;  // significant digits
      while (m > 1 && digits[m - 1] == '0') --m;
      int fixed = nd > k ? nd + (k > 0 ? 1 : 0) : 2 + k;
      int exp = nd - 1 - k;  // -8..6 here: two exponent digits
      int scientific = m + (m > 1 ? 1 : 0) + 2 + (exp < 0 ? -exp : exp) / 100 + 2;
      if (fixed <= scientific) {
        if (std::signbit(v)) *p++ = '-';
        if (nd > k) {
          std::memcpy(p, digits, static_cast<std::size_t>(nd - k));
          p += nd - k;
          if (k > 0) {
            *p++ = '.';
            std::memcpy(p, digits + nd - k, static_cast<std::size_t>(k));
            p += k;
          }
        } else {
          *p++ = '0';
          *p++ = '.';
          std::memset(p, '0', static_cast<std::size_t>(k - nd));
          p += k - nd;
          std::memcpy(p, digits, static_cast<std::size_t>(nd));
          p += nd;
        }
        return p;
      }
    }
  }
  return std::to_chars(p, p + 32, v).ptr;
}

// std::to_chars straight into the caller's buffer and literals by memcpy of a known length: no
// capacity check or call per piece, which were about half of a million-point history's CPU time
// when appended to a std::string piece by piece.
char* WriteMetricJson(char* p, const tracking::MetricPoint& m, std::string_view value_prefix,
                      const std::string* run_id) {
  using std::string_view_literals::operator""sv;
  constexpr std::size_t kRoom = 32;  // any int64; any shortest-form double (24 characters)
  p = Put(p, value_prefix);
  if (std::isnan(m.value)) {
    p = Put(p, "\"NaN\""sv);
  } else if (std::isinf(m.value)) {
    p = Put(p, m.value > 0 ? "\"Infinity\""sv : "\"-Infinity\""sv);
  } else {
    p = WriteShortestDouble(p, m.value);
  }
  p = Put(p, ",\"timestamp\":"sv);
  p = std::to_chars(p, p + kRoom, m.timestamp).ptr;
  p = Put(p, ",\"step\":"sv);
  p = std::to_chars(p, p + kRoom, m.step).ptr;
  if (run_id != nullptr) {
    p = Put(p, ",\"run_id\":\""sv);
    p = Put(p, *run_id);
    *p++ = '"';
  }
  *p++ = '}';
  return p;
}

std::string MetricJsonPrefix(const std::string& quoted_key) {
  return "{\"key\":" + quoted_key + ",\"value\":";
}

std::size_t MetricJsonMaxSize(std::string_view value_prefix, const std::string* run_id) {
  return value_prefix.size() + 120 + (run_id != nullptr ? run_id->size() + 16 : 0);
}

void AppendMetricJson(std::string& out, const tracking::MetricPoint& m,
                      const std::string& quoted_key, const std::string* run_id) {
  using std::string_view_literals::operator""sv;
  std::size_t at = out.size();
  out.resize(at + MetricJsonMaxSize(quoted_key, run_id) + 16);
  char* p = Put(out.data() + at, "{\"key\":"sv);
  p = Put(p, quoted_key);
  p = Put(p, ",\"value\":"sv);
  out.resize(static_cast<std::size_t>(WriteMetricJson(p, m, {}, run_id) - out.data()));
}

StatusOr<std::vector<tracking::KeyValue>> ParseKeyValues(const json& arr, const std::string& what,
                                                         bool value_required) {
  std::vector<tracking::KeyValue> out;
  if (arr.is_null()) return out;
  if (!arr.is_array()) {
    return InvalidArgument("Invalid value for parameter '" + what + "': expected a list");
  }
  out.reserve(arr.size());
  for (const auto& item : arr) {
    if (!item.is_object()) {
      return InvalidArgument("Invalid value for parameter '" + what + "': expected objects");
    }
    auto k = item.find("key");
    if (k == item.end() || k->is_null()) return MissingParameter(what + ".key");
    tracking::KeyValue kv;
    ASSIGN_OR_RETURN(kv.key, JsonToString(*k, "key"));
    auto v = item.find("value");
    if (v == item.end() || v->is_null()) {
      if (value_required) return MissingParameter(what + ".value");
    } else if (v->is_string()) {
      kv.value = v->get<std::string>();
    } else if (v->is_number() || v->is_boolean()) {
      kv.value = v->dump();  // lenient: numbers sent unquoted become their text
    } else {
      return InvalidArgument("Invalid value for parameter '" + what + ".value': expected a string");
    }
    out.push_back(std::move(kv));
  }
  return out;
}

std::string Dump(const json& j) { return DumpJson(j); }

}  // namespace mlws::api
