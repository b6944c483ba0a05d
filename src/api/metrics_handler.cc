#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include "api/handlers.h"
#include "api/metric_history_body.h"
#include "api/mlflow3_handlers.h"
#include "api/mlflow_json.h"
#include "mlws/tracking/validation.h"

namespace mlws::api {

using nlohmann::json;

namespace {

// simdjson accessors with protobuf-JSON leniency (numbers may arrive as strings).
StatusOr<double> SjDouble(simdjson::dom::element e, const char* what) {
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS) return d;
  int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  uint64_t u;
  if (e.get_uint64().get(u) == simdjson::SUCCESS) return static_cast<double>(u);
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    return JsonToDouble(json(std::string(s)), what);
  }
  return InvalidArgument(std::string("Invalid value for parameter '") + what +
                         "': expected a number");
}

StatusOr<std::int64_t> SjInt(simdjson::dom::element e, const char* what) {
  int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return i;
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS) return JsonToInt64(json(d), what);
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return JsonToInt64(json(std::string(s)), what);
  return InvalidArgument(std::string("Invalid value for parameter '") + what +
                         "': expected an integer");
}

StatusOr<std::string> SjString(simdjson::dom::element e, const char* what) {
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  if (e.is_int64() || e.is_double() || e.is_uint64()) return std::string(simdjson::minify(e));
  return InvalidArgument(std::string("Invalid value for parameter '") + what +
                         "': expected a string");
}

Status ParseSjKeyValues(simdjson::dom::object obj, const char* field,
                        std::vector<tracking::KeyValue>& out) {
  simdjson::dom::element arr_el;
  if (obj[field].get(arr_el) != simdjson::SUCCESS || arr_el.is_null()) return Status::Ok();
  simdjson::dom::array arr;
  if (arr_el.get_array().get(arr) != simdjson::SUCCESS) {
    return InvalidArgument(std::string("Invalid value for parameter '") + field +
                           "': expected a list");
  }
  for (simdjson::dom::element item : arr) {
    simdjson::dom::object o;
    if (item.get_object().get(o) != simdjson::SUCCESS) {
      return InvalidArgument(std::string("Invalid value in '") + field + "': expected objects");
    }
    tracking::KeyValue kv;
    simdjson::dom::element k, v;
    if (o["key"].get(k) != simdjson::SUCCESS || k.is_null()) {
      return MissingParameter(std::string(field) + ".key");
    }
    ASSIGN_OR_RETURN(kv.key, SjString(k, "key"));
    if (o["value"].get(v) == simdjson::SUCCESS && !v.is_null()) {
      ASSIGN_OR_RETURN(kv.value, SjString(v, "value"));
    }
    out.push_back(std::move(kv));
  }
  return Status::Ok();
}

}  // namespace

http::Response LogBatch(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    if (req.body.size() > tracking::kMaxBatchRequestBytes) {
      return InvalidArgument("Batched logging API requests must be at most 1 MB in size. Got " +
                             std::to_string(req.body.size()) + " bytes.");
    }
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(req.body.data(), req.body.size(), true).get(doc) != simdjson::SUCCESS) {
      return BadRequest("Malformed JSON in the request body");
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj) != simdjson::SUCCESS) {
      return BadRequest("The request body must be a JSON object");
    }
    std::string run_id;
    simdjson::dom::element id_el;
    if ((obj["run_id"].get(id_el) == simdjson::SUCCESS && !id_el.is_null()) ||
        (obj["run_uuid"].get(id_el) == simdjson::SUCCESS && !id_el.is_null())) {
      ASSIGN_OR_RETURN(run_id, SjString(id_el, "run_id"));
    }
    if (run_id.empty()) return MissingParameter("run_id");

    std::vector<tracking::Metric> metrics;
    std::vector<tracking::ModelMetric> model_metrics;
    simdjson::dom::element m_el;
    if (obj["metrics"].get(m_el) == simdjson::SUCCESS && !m_el.is_null()) {
      simdjson::dom::array arr;
      if (m_el.get_array().get(arr) != simdjson::SUCCESS) {
        return InvalidArgument("Invalid value for parameter 'metrics': expected a list");
      }
      if (arr.size() > tracking::kMaxMetricsPerBatch) {
        return tracking::ValidateBatchLimits(arr.size(), 0, 0);
      }
      metrics.reserve(arr.size());
      for (simdjson::dom::element item : arr) {
        simdjson::dom::object o;
        if (item.get_object().get(o) != simdjson::SUCCESS) {
          return InvalidArgument("Invalid value in 'metrics': expected objects");
        }
        // One pass over the object's fields (a repeated name: its first non-null value) instead of
        // a lookup per field, each a scan of the object.
        std::optional<simdjson::dom::element> key_el, value_el, ts_el, step_el, model_el,
            ds_name_el, ds_digest_el;
        for (simdjson::dom::key_value_pair field : o) {
          if (field.value.is_null()) continue;
          std::string_view k = field.key;
          std::optional<simdjson::dom::element>* slot = k == "key"              ? &key_el
                                                        : k == "value"          ? &value_el
                                                        : k == "timestamp"      ? &ts_el
                                                        : k == "step"           ? &step_el
                                                        : k == "model_id"       ? &model_el
                                                        : k == "dataset_name"   ? &ds_name_el
                                                        : k == "dataset_digest" ? &ds_digest_el
                                                                                : nullptr;
          if (slot != nullptr && !*slot) *slot = field.value;
        }
        tracking::Metric m;
        if (!key_el) return MissingParameter("metrics.key");
        ASSIGN_OR_RETURN(m.key, SjString(*key_el, "key"));
        if (!value_el) return MissingParameter("metrics.value");
        ASSIGN_OR_RETURN(m.value, SjDouble(*value_el, "value"));
        if (!ts_el) return MissingParameter("metrics.timestamp");
        ASSIGN_OR_RETURN(m.timestamp, SjInt(*ts_el, "timestamp"));
        if (step_el) {
          ASSIGN_OR_RETURN(m.step, SjInt(*step_el, "step"));
        }
        // MLflow 3: a metric may also belong to a logged model (and a dataset).
        if (model_el) {
          tracking::ModelMetric mm;
          ASSIGN_OR_RETURN(mm.model_id, SjString(*model_el, "model_id"));
          if (ds_name_el) {
            ASSIGN_OR_RETURN(mm.dataset_name, SjString(*ds_name_el, "dataset_name"));
          }
          if (ds_digest_el) {
            ASSIGN_OR_RETURN(mm.dataset_digest, SjString(*ds_digest_el, "dataset_digest"));
          }
          mm.run_id = run_id;
          mm.metric = m;
          if (!mm.model_id.empty()) model_metrics.push_back(std::move(mm));
        }
        metrics.push_back(std::move(m));
      }
    }
    std::vector<tracking::KeyValue> params, tags;
    RETURN_IF_ERROR(ParseSjKeyValues(obj, "params", params));
    RETURN_IF_ERROR(ParseSjKeyValues(obj, "tags", tags));
    RETURN_IF_ERROR(CheckMetricModels(ctx, req, model_metrics));
    RETURN_IF_ERROR(ctx.tracking.LogBatch(req.workspace, run_id, metrics, params, tags));
    return LinkMetricModels(ctx, req, model_metrics);
  }());
}

http::Response LogMetric(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, RunIdParam(d));
    tracking::Metric m;
    ASSIGN_OR_RETURN(m.key, d.RequiredString("key"));
    const json& v = d.Json("value");
    if (v.is_null()) return MissingParameter("value");
    ASSIGN_OR_RETURN(m.value, JsonToDouble(v, "value"));
    ASSIGN_OR_RETURN(auto ts, d.OptionalInt("timestamp"));
    if (!ts) return MissingParameter("timestamp");
    m.timestamp = *ts;
    ASSIGN_OR_RETURN(auto step, d.OptionalInt("step"));
    m.step = step.value_or(0);
    std::vector<tracking::ModelMetric> model_metrics;
    ASSIGN_OR_RETURN(auto model_id, d.OptionalString("model_id"));
    if (model_id && !model_id->empty()) {
      tracking::ModelMetric mm{*model_id, id, m, "", ""};
      ASSIGN_OR_RETURN(auto ds_name, d.OptionalString("dataset_name"));
      ASSIGN_OR_RETURN(auto ds_digest, d.OptionalString("dataset_digest"));
      mm.dataset_name = ds_name.value_or("");
      mm.dataset_digest = ds_digest.value_or("");
      model_metrics.push_back(std::move(mm));
    }
    RETURN_IF_ERROR(CheckMetricModels(ctx, req, model_metrics));
    RETURN_IF_ERROR(ctx.tracking.LogBatch(req.workspace, id, {m}, {}, {}));
    return LinkMetricModels(ctx, req, model_metrics);
  }());
}

http::Response GetMetricHistory(ApiContext& ctx, http::Request& req) {
  auto d = RequestDecoder::From(req);
  if (!d.ok()) return http::ErrorResponse(d.status());
  auto id = RunIdParam(*d);
  if (!id.ok()) return http::ErrorResponse(id.status());
  auto key = d->RequiredString("metric_key");
  if (!key.ok()) return http::ErrorResponse(key.status());
  auto max_results = d->OptionalInt("max_results");
  if (!max_results.ok()) return http::ErrorResponse(max_results.status());
  auto page_token = d->OptionalString("page_token");
  if (!page_token.ok()) return http::ErrorResponse(page_token.status());
  if (!*max_results && page_token->value_or("").empty()) {
    // The whole history, streamed: no page limit is needed when memory is bounded anyway.
    auto cursor = ctx.tracking.OpenMetricHistory(req.workspace, *id, *key);
    if (!cursor.ok()) return http::ErrorResponse(cursor.status());
    std::vector<tracking::MetricPoint> first;
    Status st = (*cursor)->Next(first, MetricHistoryBody::kBatch);
    if (!st.ok()) return http::ErrorResponse(st);
    if (first.empty()) return http::JsonResponse("{}");
    http::Response r;
    r.body_source = std::make_shared<MetricHistoryBody>(std::move(*cursor), *key, std::move(first));
    return r;
  }
  auto page = ctx.tracking.GetMetricHistoryPage(req.workspace, *id, *key, page_token->value_or(""),
                                                *max_results);
  if (!page.ok()) return http::ErrorResponse(page.status());
  if (page->points.empty() && page->next_page_token.empty()) return http::JsonResponse("{}");
  // Hand-rolled rendering: a page can hold 100,000 points.
  std::string out;
  out.reserve(page->points.size() * 80 + 64);  // ~72 bytes per point: no regrowth copy
  out += "{\"metrics\":[";
  bool first = true;
  const std::string quoted = QuoteJson(*key);
  for (const auto& m : page->points) {
    if (!first) out += ',';
    first = false;
    AppendMetricJson(out, m, quoted, nullptr);
  }
  out += ']';
  if (!page->next_page_token.empty()) {
    out += ",\"next_page_token\":" + QuoteJson(page->next_page_token);
  }
  out += '}';
  return http::JsonResponse(std::move(out));
}

http::Response GetMetricHistoryBulkInterval(ApiContext& ctx, http::Request& req) {
  auto d = RequestDecoder::From(req);
  if (!d.ok()) return http::ErrorResponse(d.status());
  auto result = [&]() -> StatusOr<std::string> {
    ASSIGN_OR_RETURN(auto run_ids, d->StringList("run_ids"));
    if (run_ids.empty()) return MissingParameter("run_ids");
    if (run_ids.size() > 100) {
      return InvalidArgument(
          "GetMetricHistoryBulkInterval request must specify at most 100 "
          "run_ids. Received " +
          std::to_string(run_ids.size()) + " run_ids.");
    }
    ASSIGN_OR_RETURN(std::string key, d->RequiredString("metric_key"));
    ASSIGN_OR_RETURN(auto start, d->OptionalInt("start_step"));
    ASSIGN_OR_RETURN(auto end, d->OptionalInt("end_step"));
    if (start.has_value() != end.has_value()) {
      return InvalidArgument(
          "If either start step or end step are specified, both must be "
          "specified.");
    }
    if (start && *start > *end) {
      return InvalidArgument("end_step must be greater than start_step.");
    }
    ASSIGN_OR_RETURN(auto max, d->OptionalInt("max_results"));
    std::int64_t max_results = max.value_or(320);
    if (max_results < 1 || max_results > 2500) {
      return InvalidArgument("max_results must be between 1 and 2500");
    }
    std::string out = "{\"metrics\":[";
    bool first = true;
    const std::string quoted = QuoteJson(key);
    for (const auto& run_id : run_ids) {
      ASSIGN_OR_RETURN(auto history, ctx.tracking.GetMetricHistory(req.workspace, run_id, key));
      std::set<std::int64_t> steps;
      for (const auto& m : history) {
        if (!start || (m.step >= *start && m.step <= *end)) steps.insert(m.step);
      }
      // Evenly spaced steps, always keeping the first and the last.
      std::set<std::int64_t> chosen;
      std::vector<std::int64_t> all(steps.begin(), steps.end());
      if (static_cast<std::int64_t>(all.size()) <= max_results) {
        chosen.insert(all.begin(), all.end());
      } else if (!all.empty()) {
        double stride = static_cast<double>(all.size() - 1) / static_cast<double>(max_results - 1);
        for (std::int64_t i = 0; i < max_results; ++i) {
          chosen.insert(all[static_cast<size_t>(std::llround(static_cast<double>(i) * stride))]);
        }
      }
      std::sort(history.begin(), history.end(), [](const auto& a, const auto& b) {
        return a.step != b.step ? a.step < b.step : a.timestamp < b.timestamp;
      });
      for (const auto& m : history) {
        if (chosen.count(m.step) == 0) continue;
        if (!first) out += ',';
        first = false;
        AppendMetricJson(out, m, quoted, &run_id);
      }
    }
    out += "]}";
    return out;
  }();
  if (!result.ok()) return http::ErrorResponse(result.status());
  return http::JsonResponse(std::move(*result));
}

}  // namespace mlws::api
