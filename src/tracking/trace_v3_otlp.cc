// MLflow 3 traces whose spans arrive over OTLP (POST /v1/traces), and the traces/get and
// traces/batchGet answers that return a trace with its spans.
//
// Spans are kept where mlws keeps every v3 trace's spans: the trace's span file
// ("<artifact location>/traces.json", {"spans": [...]}) in MLflow's Span.to_dict form (ids
// base64, attribute values JSON-encoded as MLflow's client writes them), so get_trace, span.
// filters and the studio read OTLP traces and client-uploaded traces alike.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "mlws/tracking/trace_v3_service.h"

namespace mlws::tracking {

using nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

constexpr const char* kSpansLocationTag = "mlflow.trace.spansLocation";
constexpr const char* kTraceTagPrefix = "mlflow.traceTag.";

// json.dumps(value) as Python writes it (", " and ": " separators, keys in order): the span
// attribute encoding MLflow's client uses, so previews and attributes read back unchanged.
void PyDump(const ojson& v, std::string& out) {
  if (v.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& [k, x] : v.items()) {
      if (!first) out += ", ";
      first = false;
      out += ojson(k).dump(-1, ' ', false, ojson::error_handler_t::replace);
      out += ": ";
      PyDump(x, out);
    }
    out += '}';
  } else if (v.is_array()) {
    out += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out += ", ";
      PyDump(v[i], out);
    }
    out += ']';
  } else {
    out += v.dump(-1, ' ', false, ojson::error_handler_t::replace);
  }
}

std::string PyDump(const ojson& v) {
  std::string out;
  PyDump(v, out);
  return out;
}

const char* StatusName(int code) {
  return code == 1 ? "STATUS_CODE_OK" : code == 2 ? "STATUS_CODE_ERROR" : "STATUS_CODE_UNSET";
}

// One decoded OTLP span in MLflow's stored span form.
json SpanDict(const OtlpSpan& s, const std::string& mlflow_trace_id) {
  json attrs = json::object();
  for (const auto& [k, v] : s.attributes.items()) attrs[k] = PyDump(v);
  attrs["mlflow.traceRequestId"] = PyDump(ojson(mlflow_trace_id));
  json events = json::array();
  for (const auto& e : s.events) {
    events.push_back({{"name", e.name},
                      {"time_unix_nano", e.time_unix_nano},
                      {"attributes", json::parse(e.attributes.dump())}});
  }
  return {
      {"trace_id", Base64Encode(s.trace_id)},
      {"span_id", Base64Encode(s.span_id)},
      {"parent_span_id", s.parent_span_id.empty() ? json() : json(Base64Encode(s.parent_span_id))},
      {"name", s.name},
      {"start_time_unix_nano", s.start_time_unix_nano},
      {"end_time_unix_nano", s.end_time_unix_nano},
      {"events", std::move(events)},
      {"status", {{"code", StatusName(s.status_code)}, {"message", s.status_message}}},
      {"attributes", std::move(attrs)},
      {"links", json::array()}};
}

// The attribute's decoded value: MLflow stores span attributes JSON-encoded.
json Decoded(const json& raw) {
  if (!raw.is_string()) return raw;
  json v = json::parse(raw.get<std::string>(), nullptr, false);
  return v.is_discarded() ? raw : v;
}

std::string Preview(const json& attrs, const char* key) {
  auto it = attrs.find(key);
  if (it == attrs.end() || !it->is_string()) return "";
  std::string s = it->get<std::string>();
  if (s.size() > kMaxTracePreviewChars) s = s.substr(0, kMaxTracePreviewChars - 3) + "...";
  return s;
}

std::uint64_t U64At(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

// A JSON value as an OTLP AnyValue in protobuf JSON (MLflow's field names).
json AnyValue(const json& v) {
  if (v.is_string()) return {{"string_value", v}};
  if (v.is_boolean()) return {{"bool_value", v}};
  if (v.is_number_integer()) return {{"int_value", v}};
  if (v.is_number_float()) return {{"double_value", v}};
  if (v.is_array()) {
    json values = json::array();
    for (const auto& x : v) values.push_back(AnyValue(x));
    return {{"array_value", {{"values", std::move(values)}}}};
  }
  if (v.is_object()) {
    json values = json::array();
    for (const auto& [k, x] : v.items()) values.push_back({{"key", k}, {"value", AnyValue(x)}});
    return {{"kvlist_value", {{"values", std::move(values)}}}};
  }
  return json::object();
}

json KeyValues(const json& attrs, bool encoded) {
  json out = json::array();
  if (!attrs.is_object()) return out;
  for (const auto& [k, v] : attrs.items()) {
    out.push_back({{"key", k}, {"value", AnyValue(encoded ? Decoded(v) : v)}});
  }
  return out;
}

// A stored span as an OTLP Span message in protobuf JSON, as MLflow's Trace.to_proto renders it.
json ProtoSpan(const json& s) {
  json out = json::object();
  for (const char* k : {"trace_id", "span_id", "parent_span_id", "name"}) {
    auto it = s.find(k);
    if (it != s.end() && it->is_string() && !it->get<std::string>().empty()) out[k] = *it;
  }
  out["start_time_unix_nano"] = U64At(s, "start_time_unix_nano");
  out["end_time_unix_nano"] = U64At(s, "end_time_unix_nano");
  out["attributes"] = KeyValues(s.value("attributes", json::object()), true);
  json events = json::array();
  for (const auto& e : s.value("events", json::array())) {
    if (!e.is_object()) continue;
    events.push_back({{"time_unix_nano", U64At(e, "time_unix_nano")},
                      {"name", e.value("name", "")},
                      {"attributes", KeyValues(e.value("attributes", json::object()), false)}});
  }
  if (!events.empty()) out["events"] = std::move(events);
  json status = json::object();
  const json st = s.value("status", json::object());
  std::string code = st.is_object() ? st.value("code", "") : "";
  if (!code.empty() && code != "STATUS_CODE_UNSET") status["code"] = code;
  std::string msg = st.is_object() && st.value("message", json()).is_string()
                        ? st["message"].get<std::string>()
                        : "";
  if (!msg.empty()) status["message"] = msg;
  out["status"] = std::move(status);
  return out;
}

}  // namespace

Status TraceV3Service::IngestOtlp(const std::string& ws, const std::string& experiment_id,
                                  const std::string& run_id, const std::vector<OtlpSpan>& spans) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  std::map<std::string, std::vector<const OtlpSpan*>> by_trace;
  for (const auto& s : spans) by_trace["tr-" + HexEncode(s.trace_id)].push_back(&s);

  // Everything is worked out first; the writes follow once every trace has passed.
  struct Plan {
    json info;
    std::string spans_path;
    std::string spans_file;
    bool has_root = false;
  };
  std::vector<Plan> plans;
  std::optional<Experiment> exp;
  for (const auto& [trace_id, batch] : by_trace) {
    Plan p;
    json merged = json::array();
    if (auto old = store_.traces_v3().GetTrace(wid, trace_id); old.ok()) {
      ASSIGN_OR_RETURN(p.info, GetTraceInfo(ws, trace_id));
      merged = LoadSpans(wid, p.info);
    } else if (old.status().code() != ErrorCode::kResourceDoesNotExist) {
      return old.status();
    } else {
      if (!exp) {
        ASSIGN_OR_RETURN(exp, tracking_.GetExperiment(ws, experiment_id));
      }
      json tags = {{kSpansLocationTag, "TRACKING_STORE"}};
      if (!batch.front()->service_name.empty()) tags["service.name"] = batch.front()->service_name;
      p.info = {{"trace_id", trace_id},
                {"trace_location",
                 {{"type", "MLFLOW_EXPERIMENT"},
                  {"mlflow_experiment", {{"experiment_id", exp->experiment_id}}}}},
                {"state", "IN_PROGRESS"},
                {"trace_metadata", json::object()},
                {"tags", std::move(tags)}};
      // StartTrace sets the same location; the span file's path needs it now.
      p.info["tags"]["mlflow.artifactLocation"] =
          exp->artifact_location + "/traces/" + trace_id + "/artifacts";
    }
    for (const OtlpSpan* s : batch) {
      json d = SpanDict(*s, trace_id);
      auto same = std::find_if(merged.begin(), merged.end(), [&](const json& x) {
        return x.is_object() && x.value("span_id", "") == d["span_id"].get<std::string>();
      });
      if (same != merged.end()) {
        *same = std::move(d);
      } else {
        merged.push_back(std::move(d));
      }
    }
    // The trace follows all its spans: first start, last end, the root's status and previews.
    std::uint64_t start = UINT64_MAX, end = 0;
    for (const auto& s : merged) {
      if (!s.is_object()) continue;
      start = std::min(start, U64At(s, "start_time_unix_nano"));
      end = std::max(end, U64At(s, "end_time_unix_nano"));
      if (!s.value("parent_span_id", json()).is_null()) continue;
      p.has_root = true;
      const json st = s.value("status", json::object());
      p.info["state"] =
          st.is_object() && st.value("code", "") == "STATUS_CODE_ERROR" ? "ERROR" : "OK";
      const json attrs = s.value("attributes", json::object());
      std::string req = Preview(attrs, "mlflow.spanInputs");
      std::string resp = Preview(attrs, "mlflow.spanOutputs");
      if (!req.empty()) p.info["request_preview"] = req;
      if (!resp.empty()) p.info["response_preview"] = resp;
      for (const auto& [k, v] : attrs.items()) {
        if (k.rfind(kTraceTagPrefix, 0) != 0 || !v.is_string()) continue;
        json tag = Decoded(v);
        p.info["tags"][k.substr(std::string_view(kTraceTagPrefix).size())] =
            tag.is_string() ? tag.get<std::string>() : tag.dump();
      }
    }
    auto start_ms = static_cast<std::int64_t>(start / 1000000);
    p.info["request_time"] = FormatRfc3339Millis(start_ms);
    if (end >= start) {
      // Protobuf JSON's Duration: "5s", "0.050s".
      auto ms = static_cast<std::int64_t>(end / 1000000 - start / 1000000);
      p.info["execution_duration"] = ms % 1000 == 0
                                         ? fmt::format("{}s", ms / 1000)
                                         : fmt::format("{}.{:03}s", ms / 1000, ms % 1000);
    }
    p.spans_path = SpansPath(wid, p.info);
    if (p.spans_path.empty()) {
      return InvalidArgument(fmt::format(
          "Trace {} has no artifact location of this server to keep its spans in", trace_id));
    }
    p.spans_file = json{{"spans", std::move(merged)}}.dump();
    if (p.spans_file.size() > kMaxTraceSpansFileBytes) {
      return Status(ErrorCode::kPayloadTooLarge,
                    fmt::format("The spans of trace {} would exceed {} bytes", trace_id,
                                kMaxTraceSpansFileBytes));
    }
    if (p.info.dump().size() > kMaxTraceInfoBytes) {
      return Status(ErrorCode::kPayloadTooLarge,
                    fmt::format("Trace info is larger than {} bytes", kMaxTraceInfoBytes));
    }
    plans.push_back(std::move(p));
  }
  if (!run_id.empty()) RETURN_IF_ERROR(tracking_.GetRun(ws, run_id).status());
  std::vector<std::string> roots;
  for (auto& p : plans) {
    // The span file first: a trace info never points at spans that are not there.
    RETURN_IF_ERROR(artifacts_.PutBytes(p.spans_path, p.spans_file));
    std::string id = p.info["trace_id"].get<std::string>();
    RETURN_IF_ERROR(StartTrace(ws, std::move(p.info)).status());
    if (p.has_root) roots.push_back(std::move(id));
  }
  if (!run_id.empty() && !roots.empty()) return LinkToRun(ws, roots, run_id);
  return Status::Ok();
}

StatusOr<json> TraceV3Service::GetTrace(const std::string& ws, const std::string& trace_id) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(json info, GetTraceInfo(ws, trace_id));
  json spans = json::array();
  for (const auto& s : LoadSpans(wid, info)) {
    if (s.is_object()) spans.push_back(ProtoSpan(s));
  }
  return json{{"trace_info", std::move(info)}, {"spans", std::move(spans)}};
}

StatusOr<json> TraceV3Service::BatchGetTraces(const std::string& ws,
                                              const std::vector<std::string>& trace_ids,
                                              const std::optional<std::vector<std::string>>& exps) {
  if (trace_ids.size() > kMaxBatchGetTraces) {
    return InvalidArgument(fmt::format("At most {} trace ids per request", kMaxBatchGetTraces));
  }
  json traces = json::array();
  for (const auto& id : trace_ids) {
    auto t = GetTrace(ws, id);
    if (!t.ok()) {
      if (t.status().code() == ErrorCode::kResourceDoesNotExist) continue;
      return t.status();
    }
    if (exps) {
      const json& loc = (*t)["trace_info"]["trace_location"];
      std::string exp = loc.is_object() && loc.contains("mlflow_experiment")
                            ? loc["mlflow_experiment"].value("experiment_id", "")
                            : "";
      if (std::find(exps->begin(), exps->end(), exp) == exps->end()) continue;
    }
    traces.push_back(std::move(*t));
  }
  return json{{"traces", std::move(traces)}};
}

}  // namespace mlws::tracking
