#include "api/handlers.h"
#include "api/mlflow_json.h"

namespace mlws::api {

using nlohmann::json;

namespace {

StatusOr<tracking::TraceStatus> TraceStatusParam(const RequestDecoder& d) {
  ASSIGN_OR_RETURN(auto s, d.OptionalString("status"));
  if (!s) return tracking::TraceStatus::kUnspecified;
  auto parsed = tracking::ParseTraceStatus(*s);
  if (!parsed) return InvalidArgument("Invalid trace status '" + *s + "'");
  return *parsed;
}

}  // namespace

http::Response StartTrace(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    tracking::TraceInfo t;
    ASSIGN_OR_RETURN(t.experiment_id, d.RequiredString("experiment_id"));
    ASSIGN_OR_RETURN(auto ts, d.OptionalInt("timestamp_ms"));
    if (!ts) return MissingParameter("timestamp_ms");
    t.timestamp_ms = *ts;
    ASSIGN_OR_RETURN(t.request_metadata,
                     ParseKeyValues(d.Json("request_metadata"), "request_metadata", false));
    ASSIGN_OR_RETURN(t.tags, ParseKeyValues(d.Json("tags"), "tags", false));
    ASSIGN_OR_RETURN(auto info, ctx.tracking.StartTrace(req.workspace, std::move(t)));
    return json{{"trace_info", ToJson(info)}};
  }());
}

http::Response EndTrace(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    tracking::TraceInfo t;
    t.request_id = req.path_params["request_id"];
    ASSIGN_OR_RETURN(auto ts, d.OptionalInt("timestamp_ms"));
    if (!ts) return MissingParameter("timestamp_ms");
    t.timestamp_ms = *ts;
    ASSIGN_OR_RETURN(t.status, TraceStatusParam(d));
    ASSIGN_OR_RETURN(t.request_metadata,
                     ParseKeyValues(d.Json("request_metadata"), "request_metadata", false));
    ASSIGN_OR_RETURN(t.tags, ParseKeyValues(d.Json("tags"), "tags", false));
    ASSIGN_OR_RETURN(auto info, ctx.tracking.EndTrace(req.workspace, t));
    return json{{"trace_info", ToJson(info)}};
  }());
}

http::Response GetTraceInfo(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto info,
                     ctx.tracking.GetTraceInfo(req.workspace, req.path_params["request_id"]));
    return json{{"trace_info", ToJson(info)}};
  }());
}

http::Response SearchTraces(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    tracking::SearchTracesRequest s;
    ASSIGN_OR_RETURN(s.experiment_ids, d.StringList("experiment_ids"));
    ASSIGN_OR_RETURN(auto filter, d.OptionalString("filter"));
    s.filter = filter.value_or("");
    ASSIGN_OR_RETURN(auto max, d.OptionalInt("max_results"));
    s.max_results = max.value_or(100);
    ASSIGN_OR_RETURN(s.order_by, d.StringList("order_by"));
    ASSIGN_OR_RETURN(auto token, d.OptionalString("page_token"));
    s.page_token = token.value_or("");
    ASSIGN_OR_RETURN(auto page, ctx.tracking.SearchTraces(req.workspace, s));
    json out = json::object();
    json arr = json::array();
    for (const auto& t : page.traces) arr.push_back(ToJson(t));
    if (!arr.empty()) out["traces"] = std::move(arr);
    if (!page.next_page_token.empty()) out["next_page_token"] = page.next_page_token;
    return out;
  }());
}

http::Response DeleteTraces(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    store::TraceDelete del;
    ASSIGN_OR_RETURN(del.experiment_id, d.RequiredString("experiment_id"));
    ASSIGN_OR_RETURN(del.max_timestamp_millis, d.OptionalInt("max_timestamp_millis"));
    ASSIGN_OR_RETURN(del.max_traces, d.OptionalInt("max_traces"));
    ASSIGN_OR_RETURN(del.request_ids, d.StringList("request_ids"));
    // MLflow 3 clients delete v3 traces through this (v2) route too.
    ASSIGN_OR_RETURN(std::int64_t v3,
                     ctx.traces_v3.Delete(req.workspace, del.experiment_id, del.request_ids,
                                          del.max_timestamp_millis, del.max_traces));
    ASSIGN_OR_RETURN(std::int64_t n, ctx.tracking.DeleteTraces(req.workspace, std::move(del)));
    return json{{"traces_deleted", n + v3}};
  }());
}

http::Response SetTraceTag(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string key, d.RequiredString("key"));
    ASSIGN_OR_RETURN(auto value, d.OptionalString("value"));
    const std::string& id = req.path_params["request_id"];
    if (ctx.traces_v3.Exists(req.workspace, id)) {  // MLflow 3 tags v3 traces here too
      return ctx.traces_v3.SetTag(req.workspace, id, {key, value.value_or("")});
    }
    return ctx.tracking.SetTraceTag(req.workspace, req.path_params["request_id"],
                                    {key, value.value_or("")});
  }());
}

http::Response DeleteTraceTag(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string key, d.RequiredString("key"));
    const std::string& id = req.path_params["request_id"];
    if (ctx.traces_v3.Exists(req.workspace, id))
      return ctx.traces_v3.DeleteTag(req.workspace, id, key);
    return ctx.tracking.DeleteTraceTag(req.workspace, req.path_params["request_id"], key);
  }());
}

}  // namespace mlws::api
