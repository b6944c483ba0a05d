#include "api/run_json_writer.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "api/mlflow_json.h"

namespace mlws::api {

namespace {

void AppendInt(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

// As DoubleJson + Dump: NaN and the infinities as strings, other values in nlohmann's own
// shortest form (which keeps a ".0" on integral values).
void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "\"NaN\"";
  } else if (std::isinf(v)) {
    out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char buf[64];
    char* end = nlohmann::detail::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, static_cast<std::size_t>(end - buf));
  }
}

void AppendKeyValues(std::string& out, const std::vector<tracking::KeyValue>& kvs) {
  out += '[';
  bool first = true;
  for (const auto& kv : kvs) {
    if (!first) out += ',';
    first = false;
    out += "{\"key\":";
    AppendJsonString(out, kv.key);
    out += ",\"value\":";
    AppendJsonString(out, kv.value);
    out += '}';
  }
  out += ']';
}

void AppendRunInfo(std::string& out, const tracking::RunInfo& r) {
  out += "{\"artifact_uri\":";
  AppendJsonString(out, r.artifact_uri);
  if (r.end_time) {
    out += ",\"end_time\":";
    AppendInt(out, *r.end_time);
  }
  out += ",\"experiment_id\":";
  AppendJsonString(out, r.experiment_id);
  out += ",\"lifecycle_stage\":";
  AppendJsonString(out, tracking::LifecycleName(r.lifecycle_stage));
  out += ",\"run_id\":";
  AppendJsonString(out, r.run_id);
  out += ",\"run_name\":";
  AppendJsonString(out, r.run_name);
  out += ",\"run_uuid\":";
  AppendJsonString(out, r.run_id);
  out += ",\"start_time\":";
  AppendInt(out, r.start_time);
  out += ",\"status\":";
  AppendJsonString(out, tracking::RunStatusName(r.status));
  out += ",\"user_id\":";
  AppendJsonString(out, r.user_id);
  out += '}';
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
      out += QuoteJson(std::string(s));  // escapes and UTF-8 checks: the library's own rules
      return;
    }
  }
  out += '"';
  out += s;
  out += '"';
}

void AppendRunJson(std::string& out, const tracking::Run& run) {
  out += "{\"data\":{";
  bool first = true;
  if (!run.metrics.empty()) {
    out += "\"metrics\":[";
    for (std::size_t i = 0; i < run.metrics.size(); ++i) {
      const tracking::Metric& m = run.metrics[i];
      if (i > 0) out += ',';
      out += "{\"key\":";
      AppendJsonString(out, m.key);
      out += ",\"step\":";
      AppendInt(out, m.step);
      out += ",\"timestamp\":";
      AppendInt(out, m.timestamp);
      out += ",\"value\":";
      AppendDouble(out, m.value);
      out += '}';
    }
    out += ']';
    first = false;
  }
  if (!run.params.empty()) {
    out += first ? "\"params\":" : ",\"params\":";
    AppendKeyValues(out, run.params);
    first = false;
  }
  if (!run.tags.empty()) {
    out += first ? "\"tags\":" : ",\"tags\":";
    AppendKeyValues(out, run.tags);
  }
  out += "},\"info\":";
  AppendRunInfo(out, run.info);
  out += ",\"inputs\":";
  if (run.inputs.empty()) {
    out += "{}";
  } else {
    // Rare and nested: rendered by the general code.
    out += Dump(ToJson(run)["inputs"]);
  }
  out += '}';
}

}  // namespace mlws::api
