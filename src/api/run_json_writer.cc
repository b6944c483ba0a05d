#include "api/run_json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
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

// A field: its already quoted name (with the comma or brace before it), then the value.
void Str(std::string& out, const char* name_json, std::string_view v) {
  out += name_json;
  AppendJsonString(out, v);
}
void Int(std::string& out, const char* name_json, std::int64_t v) {
  out += name_json;
  AppendInt(out, v);
}

void AppendKeyValues(std::string& out, const std::vector<tracking::KeyValue>& kvs) {
  out += '[';
  bool first = true;
  for (const auto& kv : kvs) {
    if (!first) out += ',';
    first = false;
    Str(out, "{\"key\":", kv.key);
    Str(out, ",\"value\":", kv.value);
    out += '}';
  }
  out += ']';
}

void AppendRunInfo(std::string& out, const tracking::RunInfo& r) {
  Str(out, "{\"artifact_uri\":", r.artifact_uri);
  if (r.end_time) Int(out, ",\"end_time\":", *r.end_time);
  Str(out, ",\"experiment_id\":", r.experiment_id);
  Str(out, ",\"lifecycle_stage\":", tracking::LifecycleName(r.lifecycle_stage));
  Str(out, ",\"run_id\":", r.run_id);
  Str(out, ",\"run_name\":", r.run_name);
  Str(out, ",\"run_uuid\":", r.run_id);
  Int(out, ",\"start_time\":", r.start_time);
  Str(out, ",\"status\":", tracking::RunStatusName(r.status));
  Str(out, ",\"user_id\":", r.user_id);
  out += '}';
}

}  // namespace

namespace {

// Whether any of the 8 bytes in `w` is a control character, non-ASCII, '"' or '\\' (the bytes
// JSON needs escaped or UTF-8-checked), tested 8 at a time: the classic has-zero-byte trick.
bool NeedsEscape8(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  auto zero_byte = [&](std::uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
  return ((w & kHigh) | below_space | zero_byte(w ^ (kOnes * '"')) |
          zero_byte(w ^ (kOnes * '\\'))) != 0;
}

bool NeedsEscape(std::string_view s) {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (NeedsEscape8(w)) return true;
  }
  for (; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return true;
  }
  return false;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  if (NeedsEscape(s)) {
    out += QuoteJson(std::string(s));  // escapes and UTF-8 checks: the library's own rules
    return;
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
      Str(out, "{\"key\":", m.key);
      Int(out, ",\"step\":", m.step);
      Int(out, ",\"timestamp\":", m.timestamp);
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
