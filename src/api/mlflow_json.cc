#include "api/mlflow_json.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
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

void AppendMetricJson(std::string& out, const tracking::MetricPoint& m,
                      const std::string& quoted_key, const std::string* run_id) {
  // std::to_chars into a stack buffer: profiling showed fmt's back_inserter path dominating
  // million-point histories. Literals as string_views: appending a const char* costs a strlen
  // each (11% of a million-point history's CPU time).
  using std::string_view_literals::operator""sv;
  auto number = [&out](auto v) {
    char buf[40];  // enough for any int64 and any shortest-form double
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, static_cast<size_t>(r.ptr - buf));
  };
  out += "{\"key\":"sv;
  out += quoted_key;
  out += ",\"value\":"sv;
  if (std::isnan(m.value)) {
    out += "\"NaN\""sv;
  } else if (std::isinf(m.value)) {
    out += m.value > 0 ? "\"Infinity\""sv : "\"-Infinity\""sv;
  } else {
    number(m.value);
  }
  out += ",\"timestamp\":"sv;
  number(m.timestamp);
  out += ",\"step\":"sv;
  number(m.step);
  if (run_id != nullptr) {
    out += ",\"run_id\":\""sv;
    out += *run_id;
    out += '"';
  }
  out += '}';
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
