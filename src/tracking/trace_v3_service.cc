// MLflow 3 traces: the TraceInfoV3 document, search (filter evaluated in memory over the
// experiments' traces, newest first), tags, run links and assessments.
#include "mlws/tracking/trace_v3_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "mlws/common/ids.h"
#include "mlws/tracking/search_filter.h"
#include "mlws/tracking/validation.h"
#include "tracking/like_match.h"
#include "tracking/time_page.h"

namespace mlws::tracking {

using nlohmann::json;

namespace {

constexpr const char* kArtifactLocationTag = "mlflow.artifactLocation";
constexpr const char* kTraceNameTag = "mlflow.traceName";
constexpr const char* kSourceRunKey = "mlflow.sourceRun";
constexpr std::string_view kProxyScheme = "mlflow-artifacts:";

const json& At(const json& j, const std::string& key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string StringAt(const json& j, const std::string& key) {
  const json& v = At(j, key);
  return v.is_string() ? v.get<std::string>() : "";
}

StatusOr<json> ParseDoc(const store::TraceV3Record& r) {
  json doc = json::parse(r.doc, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Internal("stored trace '" + r.trace_id + "' is not valid JSON");
  }
  return doc;
}

// The experiment a TraceInfoV3 is logged to.
StatusOr<std::string> ExperimentOf(const json& info) {
  const json& loc = At(info, "trace_location");
  std::string exp = StringAt(At(loc, "mlflow_experiment"), "experiment_id");
  if (exp.empty()) {
    return InvalidArgument(
        "trace_location.mlflow_experiment.experiment_id is required: mlws stores traces in "
        "MLflow experiments only");
  }
  return exp;
}

Status ValidateTraceId(const std::string& id) {
  if (id.empty()) return InvalidArgument("Missing value for required parameter 'trace_id'.");
  if (id.size() > 128) return InvalidArgument("Trace ID is longer than 128 characters.");
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return InvalidArgument(
          fmt::format("Invalid trace ID '{}': only letters, digits, '-' and "
                      "'_' are allowed.",
                      id.substr(0, 64)));
    }
  }
  return Status::Ok();
}

// A map field (trace_metadata, tags): protobuf JSON sends an object; accept [{key, value}] too.
StatusOr<json> MapField(const json& v, const char* what) {
  if (v.is_null()) return json::object();
  json out = json::object();
  if (v.is_object()) {
    for (auto& [k, val] : v.items()) {
      if (!val.is_string()) return InvalidArgument(fmt::format("{}.{} must be a string", what, k));
      out[k] = val;
    }
    return out;
  }
  if (v.is_array()) {
    for (const auto& e : v) {
      if (!e.is_object() || !At(e, "key").is_string()) {
        return InvalidArgument(fmt::format("{} entries need a string key", what));
      }
      const json& val = At(e, "value");
      out[e["key"].get<std::string>()] = val.is_string() ? val : json("");
    }
    return out;
  }
  return InvalidArgument(fmt::format("{} must be an object", what));
}

std::int64_t RequestTimeMs(const json& info) {
  auto ms = ParseRfc3339Millis(StringAt(info, "request_time"));
  return ms.ok() ? *ms : 0;
}

std::int64_t DurationMs(const json& info) {
  auto ms = ParseDurationMillis(StringAt(info, "execution_duration"));
  return ms.ok() ? *ms : 0;
}

bool CompareNumbers(double lhs, Comparator op, double rhs) {
  switch (op) {
    case Comparator::kEq: return lhs == rhs;
    case Comparator::kNe: return lhs != rhs;
    case Comparator::kGt: return lhs > rhs;
    case Comparator::kGe: return lhs >= rhs;
    case Comparator::kLt: return lhs < rhs;
    case Comparator::kLe: return lhs <= rhs;
    default: return false;
  }
}

bool CompareStrings(const std::string& lhs, const Clause& c) {
  switch (c.op) {
    case Comparator::kEq: return lhs == c.text;
    case Comparator::kNe: return lhs != c.text;
    case Comparator::kLike: return LikeMatch(lhs, c.text, false);
    case Comparator::kILike: return LikeMatch(lhs, c.text, true);
    case Comparator::kIn: return std::find(c.list.begin(), c.list.end(), lhs) != c.list.end();
    case Comparator::kNotIn: return std::find(c.list.begin(), c.list.end(), lhs) == c.list.end();
    default: return false;
  }
}

// The span's field as filters see it: name; type (the mlflow.spanType attribute, stored
// JSON-encoded); status (OK / ERROR / UNSET from the OTel status code).
std::string SpanField(const json& span, const std::string& field) {
  if (field == "name") return StringAt(span, "name");
  if (field == "type") {
    std::string raw = StringAt(At(span, "attributes"), "mlflow.spanType");
    json parsed = json::parse(raw, nullptr, false);
    return parsed.is_string() ? parsed.get<std::string>() : raw;
  }
  std::string code = StringAt(At(span, "status"), "code");
  if (code.rfind("STATUS_CODE_", 0) == 0) code = code.substr(12);
  return code;
}

}  // namespace

// ---- time formats ----------------------------------------------------------------------------

StatusOr<std::int64_t> ParseRfc3339Millis(const std::string& s) {
  int y, mo, d, h, mi, sec;
  int n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6) {
    return InvalidArgument("Invalid timestamp '" + s.substr(0, 40) + "': expected RFC 3339");
  }
  std::int64_t frac_ms = 0;
  size_t i = static_cast<size_t>(n);
  if (i < s.size() && s[i] == '.') {
    int digits = 0;
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, ++digits) {
      if (digits < 3) frac_ms = frac_ms * 10 + (s[i] - '0');
    }
    for (; digits < 3; ++digits) frac_ms *= 10;
  }
  std::int64_t offset_min = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) {
      return InvalidArgument("Invalid timestamp offset in '" + s.substr(0, 40) + "'");
    }
    offset_min = (s[i] == '+' ? 1 : -1) * (oh * 60 + om);
  } else if (i >= s.size() || (s[i] != 'Z' && s[i] != 'z')) {
    return InvalidArgument("Invalid timestamp '" + s.substr(0, 40) + "': expected RFC 3339");
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  std::int64_t secs = static_cast<std::int64_t>(timegm(&tm)) - offset_min * 60;
  return secs * 1000 + frac_ms;
}

std::string FormatRfc3339Millis(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

StatusOr<std::int64_t> ParseDurationMillis(const std::string& s) {
  if (s.empty() || s.back() != 's') return InvalidArgument("Invalid duration '" + s + "'");
  char* end = nullptr;
  std::string num = s.substr(0, s.size() - 1);
  double v = std::strtod(num.c_str(), &end);
  if (end == num.c_str() || *end != '\0') return InvalidArgument("Invalid duration '" + s + "'");
  return static_cast<std::int64_t>(v * 1000 + (v >= 0 ? 0.5 : -0.5));
}

// ---- traces ----------------------------------------------------------------------------------

StatusOr<json> TraceV3Service::StartTrace(const std::string& ws, json info) {
  if (!info.is_object())
    return InvalidArgument("Missing value for required parameter 'trace.trace_info'.");
  if (info.dump().size() > kMaxTraceInfoBytes) {
    return Status(ErrorCode::kPayloadTooLarge,
                  fmt::format("Trace info is larger than {} bytes", kMaxTraceInfoBytes));
  }
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  std::string id = StringAt(info, "trace_id");
  RETURN_IF_ERROR(ValidateTraceId(id));
  ASSIGN_OR_RETURN(std::string exp_id, ExperimentOf(info));
  ASSIGN_OR_RETURN(Experiment exp, tracking_.GetExperiment(ws, exp_id));
  if (!At(info, "request_time").is_null()) {
    RETURN_IF_ERROR(ParseRfc3339Millis(StringAt(info, "request_time")).status());
  }
  if (!At(info, "execution_duration").is_null()) {
    RETURN_IF_ERROR(ParseDurationMillis(StringAt(info, "execution_duration")).status());
  }
  ASSIGN_OR_RETURN(json meta, MapField(At(info, "trace_metadata"), "trace_metadata"));
  ASSIGN_OR_RETURN(json tags, MapField(At(info, "tags"), "tags"));
  for (auto& [k, v] : tags.items()) RETURN_IF_ERROR(ValidateTag({k, v.get<std::string>()}));
  tags[kArtifactLocationTag] = exp.artifact_location + "/traces/" + id + "/artifacts";
  info["trace_metadata"] = std::move(meta);
  info["tags"] = std::move(tags);
  info["trace_location"] = {{"type", "MLFLOW_EXPERIMENT"},
                            {"mlflow_experiment", {{"experiment_id", exp_id}}}};
  if (!info.contains("state")) info["state"] = "STATE_UNSPECIFIED";
  // Assessments are written through their own API; keep those already stored.
  json assessments = json::array();
  json linked = json::array();
  if (auto old = store_.traces_v3().GetTrace(wid, id); old.ok()) {
    if (auto doc = ParseDoc(*old); doc.ok()) {
      if (At(*doc, "info").contains("assessments")) assessments = (*doc)["info"]["assessments"];
      if (doc->contains("linked_runs")) linked = (*doc)["linked_runs"];
    }
  }
  info["assessments"] = std::move(assessments);
  json doc = {{"info", info}, {"linked_runs", std::move(linked)}};
  store::TraceV3Record r{id, exp_id, RequestTimeMs(info), doc.dump()};
  RETURN_IF_ERROR(store_.traces_v3().PutTrace(wid, r));
  return info;
}

StatusOr<json> TraceV3Service::GetTraceInfo(const std::string& ws, const std::string& trace_id) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto r, store_.traces_v3().GetTrace(wid, trace_id));
  ASSIGN_OR_RETURN(json doc, ParseDoc(r));
  return doc["info"];
}

bool TraceV3Service::Exists(const std::string& ws, const std::string& trace_id) {
  auto wid = tracking_.WorkspaceId(ws);
  return wid.ok() && store_.traces_v3().GetTrace(*wid, trace_id).ok();
}

std::string TraceV3Service::SpansPath(std::int64_t wid, const json& info) {
  std::string loc = StringAt(At(info, "tags"), kArtifactLocationTag);
  if (loc.rfind(kProxyScheme, 0) != 0) return "";
  std::string rest = loc.substr(kProxyScheme.size());
  while (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
  if (!artifacts::ValidateArtifactPath(rest).ok()) return "";
  return std::to_string(wid) + "/" + rest + "/traces.json";
}

json TraceV3Service::LoadSpans(std::int64_t wid, const json& info) {
  std::string path = SpansPath(wid, info);
  if (path.empty()) return json::array();
  auto f = artifacts_.Open(path);
  if (!f.ok() || f->size > static_cast<std::int64_t>(kMaxTraceSpansFileBytes)) {
    return json::array();
  }
  auto text = artifacts::ReadAll(*f->reader, kMaxTraceSpansFileBytes);
  if (!text.ok()) return json::array();
  json data = json::parse(*text, nullptr, false);
  const json& spans = At(data, "spans");
  return spans.is_array() ? spans : json::array();
}

StatusOr<json> TraceV3Service::Search(const std::string& ws, const SearchTracesV3Request& req) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  if (req.max_results <= 0 || req.max_results > kMaxSearchTracesV3Results) {
    return InvalidArgument(fmt::format(
        "Invalid value {} for parameter 'max_results' supplied. It must be between 1 and {}",
        req.max_results, kMaxSearchTracesV3Results));
  }
  ASSIGN_OR_RETURN(std::vector<Clause> clauses, ParseTraceV3Filter(req.filter));
  std::vector<OrderBy> order;
  for (const auto& o : req.order_by) {
    ASSIGN_OR_RETURN(OrderBy ob, ParseTraceV3OrderBy(o));
    order.push_back(std::move(ob));
  }
  std::int64_t offset = 0;
  if (!req.page_token.empty()) {
    ASSIGN_OR_RETURN(offset, DecodePageToken(req.page_token));
  }
  ASSIGN_OR_RETURN(auto records, store_.traces_v3().ListTraces(wid, req.experiment_ids));
  // Filters and order on the request time alone: the store's request_time_ms decides, and only
  // the page's documents are parsed (the same order as below: time, then trace id).
  auto on_time = [](const std::string& key) { return key == "timestamp_ms"; };
  if (std::all_of(clauses.begin(), clauses.end(),
                  [&](const Clause& c) {
                    return c.type == EntityType::kAttribute && on_time(c.key) && c.is_numeric;
                  }) &&
      std::all_of(order.begin(), order.end(), [&](const OrderBy& o) {
        return o.type == EntityType::kAttribute && on_time(o.key);
      })) {
    bool ascending = !order.empty() && order.front().ascending;
    std::vector<const store::TraceV3Record*> rows;
    for (const auto& r : records) {
      auto t = static_cast<double>(r.request_time_ms);
      if (std::all_of(clauses.begin(), clauses.end(),
                      [&](const Clause& c) { return CompareNumbers(t, c.op, c.number); })) {
        rows.push_back(&r);
      }
    }
    return PageByStoredKey(
        std::move(rows), ascending, [](const auto& r) { return r.request_time_ms; },
        [](const auto& r) -> const std::string& { return r.trace_id; }, offset, req.max_results,
        "traces",
        [](const store::TraceV3Record& r) -> StatusOr<json> {
          ASSIGN_OR_RETURN(json doc, ParseDoc(r));
          return std::move(doc["info"]);
        });
  }
  // The sort keys are worked out once per hit, not in every comparison.
  struct Hit {
    json info;
    std::int64_t time_ms;
    std::int64_t duration_ms;
  };
  std::vector<Hit> hits;
  for (const auto& r : records) {
    ASSIGN_OR_RETURN(json doc, ParseDoc(r));
    const json& info = doc["info"];
    std::optional<json> spans;
    bool keep = true;
    for (const Clause& c : clauses) {
      bool ok = false;
      switch (c.type) {
        case EntityType::kTag: {
          const json& v = At(At(info, "tags"), c.key);
          ok = v.is_string() && CompareStrings(v.get<std::string>(), c);
          break;
        }
        case EntityType::kParam: {
          const json& v = At(At(info, "trace_metadata"), c.key);
          ok = v.is_string() && CompareStrings(v.get<std::string>(), c);
          break;
        }
        case EntityType::kDataset: {
          if (!spans) spans = LoadSpans(wid, info);
          ok = std::any_of(spans->begin(), spans->end(),
                           [&](const json& s) { return CompareStrings(SpanField(s, c.key), c); });
          break;
        }
        case EntityType::kMetric: break;
        case EntityType::kAttribute: {
          if (c.key == "timestamp_ms") {
            ok = CompareNumbers(static_cast<double>(RequestTimeMs(info)), c.op, c.number);
          } else if (c.key == "execution_time_ms") {
            ok = CompareNumbers(static_cast<double>(DurationMs(info)), c.op, c.number);
          } else if (c.key == "name") {
            const json& v = At(At(info, "tags"), kTraceNameTag);
            ok = v.is_string() && CompareStrings(v.get<std::string>(), c);
          } else if (c.key == "run_id") {
            std::vector<std::string> runs;
            std::string src = StringAt(At(info, "trace_metadata"), kSourceRunKey);
            if (!src.empty()) runs.push_back(src);
            for (const auto& l : At(doc, "linked_runs")) runs.push_back(l.get<std::string>());
            if (c.op == Comparator::kNe || c.op == Comparator::kNotIn) {
              ok = std::all_of(runs.begin(), runs.end(),
                               [&](const std::string& x) { return CompareStrings(x, c); });
            } else {
              ok = std::any_of(runs.begin(), runs.end(),
                               [&](const std::string& x) { return CompareStrings(x, c); });
            }
          } else if (c.key == "state") {
            std::string st = StringAt(info, "state");
            Clause cc = c;  // states compare case-insensitively (ok = OK)
            auto up = [](std::string s) {
              for (auto& ch : s)
                ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
              return s;
            };
            cc.text = up(cc.text);
            for (auto& x : cc.list) x = up(x);
            ok = CompareStrings(st, cc);
          } else {
            ok = CompareStrings(StringAt(info, c.key), c);
          }
          break;
        }
      }
      if (!ok) {
        keep = false;
        break;
      }
    }
    if (!keep) continue;
    std::int64_t time_ms = RequestTimeMs(info), duration_ms = DurationMs(info);
    hits.push_back({std::move(doc["info"]), time_ms, duration_ms});
  }
  // Default (and tie-break): newest first, as MLflow.
  std::stable_sort(hits.begin(), hits.end(), [&](const Hit& a, const Hit& b) {
    for (const auto& ob : order) {
      int c = 0;
      if (ob.key == "timestamp_ms" || ob.key == "execution_time_ms") {
        auto va = ob.key == "timestamp_ms" ? a.time_ms : a.duration_ms;
        auto vb = ob.key == "timestamp_ms" ? b.time_ms : b.duration_ms;
        c = va < vb ? -1 : (va > vb ? 1 : 0);
      } else {
        const std::string sa = ob.key == "name" ? StringAt(At(a.info, "tags"), kTraceNameTag)
                                                : StringAt(a.info, ob.key);
        const std::string sb = ob.key == "name" ? StringAt(At(b.info, "tags"), kTraceNameTag)
                                                : StringAt(b.info, ob.key);
        c = sa.compare(sb);
      }
      if (c != 0) return ob.ascending ? c < 0 : c > 0;
    }
    if (a.time_ms != b.time_ms) return a.time_ms > b.time_ms;
    return StringAt(a.info, "trace_id") < StringAt(b.info, "trace_id");
  });
  json out = json::object();
  json page = json::array();
  auto total = static_cast<std::int64_t>(hits.size());
  auto begin = std::min(offset, total);
  auto end = std::min(begin + req.max_results, total);
  for (auto i = begin; i < end; ++i) page.push_back(std::move(hits[i].info));
  out["traces"] = std::move(page);
  if (end < total) out["next_page_token"] = EncodePageToken(end);
  return out;
}

StatusOr<std::int64_t> TraceV3Service::Delete(const std::string& ws,
                                              const std::string& experiment_id,
                                              const std::vector<std::string>& trace_ids,
                                              std::optional<std::int64_t> max_timestamp_millis,
                                              std::optional<std::int64_t> max_traces) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.traces_v3().DeleteTraces(wid, experiment_id, trace_ids, max_timestamp_millis,
                                         max_traces);
}

StatusOr<store::TraceV3Record> TraceV3Service::Mutate(const std::string& ws,
                                                      const std::string& trace_id,
                                                      const std::function<Status(json& doc)>& fn) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.traces_v3().UpdateTrace(wid, trace_id, [&](store::TraceV3Record& r) -> Status {
    ASSIGN_OR_RETURN(json doc, ParseDoc(r));
    RETURN_IF_ERROR(fn(doc));
    r.doc = doc.dump();
    return Status::Ok();
  });
}

Status TraceV3Service::SetTag(const std::string& ws, const std::string& trace_id,
                              const KeyValue& tag) {
  RETURN_IF_ERROR(ValidateTag(tag));
  return Mutate(ws, trace_id,
                [&](json& doc) -> Status {
                  doc["info"]["tags"][tag.key] = tag.value;
                  return Status::Ok();
                })
      .status();
}

Status TraceV3Service::DeleteTag(const std::string& ws, const std::string& trace_id,
                                 const std::string& key) {
  return Mutate(ws, trace_id,
                [&](json& doc) -> Status {
                  json& tags = doc["info"]["tags"];
                  if (!tags.is_object() || !tags.contains(key)) {
                    return NotFound(fmt::format("No trace tag with key '{}'", key));
                  }
                  tags.erase(key);
                  return Status::Ok();
                })
      .status();
}

Status TraceV3Service::LinkToRun(const std::string& ws, const std::vector<std::string>& trace_ids,
                                 const std::string& run_id) {
  if (trace_ids.size() > 100) {
    return InvalidArgument("Cannot link more than 100 traces to a run in a single request.");
  }
  RETURN_IF_ERROR(tracking_.GetRun(ws, run_id).status());
  for (const auto& id : trace_ids) RETURN_IF_ERROR(GetTraceInfo(ws, id).status());
  for (const auto& id : trace_ids) {
    RETURN_IF_ERROR(Mutate(ws, id, [&](json& doc) -> Status {
                      json& linked = doc["linked_runs"];
                      if (!linked.is_array()) linked = json::array();
                      if (std::find(linked.begin(), linked.end(), run_id) == linked.end()) {
                        linked.push_back(run_id);
                      }
                      return Status::Ok();
                    }).status());
  }
  return Status::Ok();
}

// ---- assessments -----------------------------------------------------------------------------

namespace {

json* FindAssessment(json& doc, const std::string& id) {
  json& arr = doc["info"]["assessments"];
  if (!arr.is_array()) arr = json::array();
  for (auto& a : arr) {
    if (StringAt(a, "assessment_id") == id) return &a;
  }
  return nullptr;
}

Status NoSuchAssessment(const std::string& trace_id, const std::string& id) {
  return NotFound(fmt::format("Assessment with ID '{}' not found for trace '{}'", id, trace_id));
}

Status ValidateAssessment(const json& a) {
  if (!a.is_object()) return InvalidArgument("Missing value for required parameter 'assessment'.");
  if (StringAt(a, "assessment_name").empty()) {
    return InvalidArgument("Missing value for required parameter 'assessment.assessment_name'.");
  }
  bool fb = a.contains("feedback"), ex = a.contains("expectation");
  if (fb == ex) {
    return InvalidArgument("An assessment needs exactly one of 'feedback' or 'expectation'.");
  }
  const json& src = At(a, "source");
  if (!src.is_object() || StringAt(src, "source_type").empty()) {
    return InvalidArgument("Missing value for required parameter 'assessment.source.source_type'.");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<json> TraceV3Service::CreateAssessment(const std::string& ws, const std::string& trace_id,
                                                json a) {
  RETURN_IF_ERROR(ValidateAssessment(a));
  if (a.dump().size() > kMaxTraceInfoBytes) {
    return Status(ErrorCode::kPayloadTooLarge, "Assessment is larger than 1 MiB");
  }
  std::string now = FormatRfc3339Millis(NowMillis());
  a["assessment_id"] = "a-" + NewRunId();
  a["trace_id"] = trace_id;
  a["create_time"] = now;
  a["last_update_time"] = now;
  if (!a.contains("valid")) a["valid"] = true;
  std::string overrides = StringAt(a, "overrides");
  RETURN_IF_ERROR(Mutate(ws, trace_id, [&](json& doc) -> Status {
                    if (!overrides.empty()) {
                      json* old = FindAssessment(doc, overrides);
                      if (!old) return NoSuchAssessment(trace_id, overrides);
                      (*old)["valid"] = false;
                    }
                    doc["info"]["assessments"].push_back(a);
                    return Status::Ok();
                  }).status());
  return a;
}

StatusOr<json> TraceV3Service::GetAssessment(const std::string& ws, const std::string& trace_id,
                                             const std::string& assessment_id) {
  ASSIGN_OR_RETURN(json info, GetTraceInfo(ws, trace_id));
  json doc = {{"info", std::move(info)}};
  json* a = FindAssessment(doc, assessment_id);
  if (!a) return NoSuchAssessment(trace_id, assessment_id);
  return *a;
}

StatusOr<json> TraceV3Service::UpdateAssessment(const std::string& ws, const std::string& trace_id,
                                                const std::string& assessment_id,
                                                const json& changes,
                                                const std::vector<std::string>& paths) {
  static const std::vector<std::string> kUpdatable = {"assessment_name", "feedback", "expectation",
                                                      "rationale",       "metadata", "span_id",
                                                      "error",           "valid"};
  std::vector<std::string> fields = paths;
  if (fields.empty()) {
    for (const auto& f : kUpdatable) {
      if (changes.contains(f)) fields.push_back(f);
    }
  }
  for (const auto& f : fields) {
    if (std::find(kUpdatable.begin(), kUpdatable.end(), f) == kUpdatable.end()) {
      return InvalidArgument(fmt::format("Invalid update_mask path '{}'", f));
    }
  }
  json out;
  RETURN_IF_ERROR(Mutate(ws, trace_id, [&](json& doc) -> Status {
                    json* a = FindAssessment(doc, assessment_id);
                    if (!a) return NoSuchAssessment(trace_id, assessment_id);
                    json updated = *a;
                    for (const auto& f : fields) {
                      if (changes.contains(f)) {
                        updated[f] = changes[f];
                      } else {
                        updated.erase(f);
                      }
                    }
                    if (updated.contains("feedback") && updated.contains("expectation")) {
                      // feedback <-> expectation: the newer kind replaces the older
                      for (const char* k : {"feedback", "expectation"}) {
                        if (std::find(fields.begin(), fields.end(), k) == fields.end()) {
                          updated.erase(k);
                        }
                      }
                    }
                    RETURN_IF_ERROR(ValidateAssessment(updated));
                    updated["last_update_time"] = FormatRfc3339Millis(NowMillis());
                    *a = updated;
                    out = updated;
                    return Status::Ok();
                  }).status());
  return out;
}

Status TraceV3Service::DeleteAssessment(const std::string& ws, const std::string& trace_id,
                                        const std::string& assessment_id) {
  return Mutate(ws, trace_id,
                [&](json& doc) -> Status {
                  json& arr = doc["info"]["assessments"];
                  json* a = FindAssessment(doc, assessment_id);
                  if (!a) return NoSuchAssessment(trace_id, assessment_id);
                  // Deleting an override makes the assessment it replaced valid again.
                  std::string overrides = StringAt(*a, "overrides");
                  if (!overrides.empty()) {
                    if (json* old = FindAssessment(doc, overrides)) (*old)["valid"] = true;
                  }
                  for (auto it = arr.begin(); it != arr.end(); ++it) {
                    if (StringAt(*it, "assessment_id") == assessment_id) {
                      arr.erase(it);
                      break;
                    }
                  }
                  return Status::Ok();
                })
      .status();
}

}  // namespace mlws::tracking
