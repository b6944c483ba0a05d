// MLflow 3 traces: /api/3.0/mlflow/traces (start, get, search), assessments, link-to-run.
// Tags and deletion of v3 traces go through the v2 routes (traces_handler.cc), as the client
// sends them there.
#include "api/mlflow3_handlers.h"
#include "api/mlflow_json.h"

namespace mlws::api {

using nlohmann::json;

namespace {

const std::string& TraceIdParam(http::Request& req) { return req.path_params["trace_id"]; }

// FieldMask paths arrive in lowerCamelCase in protobuf JSON ("assessmentName").
std::string SnakeCase(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c >= 'A' && c <= 'Z') {
      out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

http::Response StartTraceV3(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    if (req.body.size() > 2 * tracking::kMaxTraceInfoBytes) {
      return Status(ErrorCode::kPayloadTooLarge,
                    "StartTraceV3 request bodies must be at most 2 MiB; span data goes to the "
                    "trace's artifact location");
    }
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    const json& trace = d.Json("trace");
    if (!trace.is_object() || !trace.contains("trace_info")) {
      return MissingParameter("trace.trace_info");
    }
    ASSIGN_OR_RETURN(json info, ctx.traces_v3.StartTrace(req.workspace, trace["trace_info"]));
    return json{{"trace", {{"trace_info", std::move(info)}}}};
  }());
}

http::Response GetTraceInfoV3(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(json info, ctx.traces_v3.GetTraceInfo(req.workspace, TraceIdParam(req)));
    return json{{"trace", {{"trace_info", std::move(info)}}}};
  }());
}

http::Response SearchTracesV3(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    tracking::SearchTracesV3Request s;
    const json& locations = d.Json("locations");
    if (!locations.is_null() && !locations.is_array()) {
      return InvalidArgument("Invalid value for parameter 'locations': expected a list");
    }
    for (const auto& loc : locations.is_array() ? locations : json::array()) {
      auto exp = loc.is_object() ? loc.find("mlflow_experiment") : loc.end();
      if (!loc.is_object() || exp == loc.end() || !exp->is_object() ||
          !exp->contains("experiment_id")) {
        return InvalidArgument(
            "Each location must be an MLflow experiment: {\"mlflow_experiment\": "
            "{\"experiment_id\": ...}}");
      }
      ASSIGN_OR_RETURN(std::string id, JsonToString((*exp)["experiment_id"], "experiment_id"));
      s.experiment_ids.push_back(std::move(id));
    }
    ASSIGN_OR_RETURN(auto filter, d.OptionalString("filter"));
    s.filter = filter.value_or("");
    ASSIGN_OR_RETURN(auto max, d.OptionalInt("max_results"));
    if (max) s.max_results = *max;
    ASSIGN_OR_RETURN(s.order_by, d.StringList("order_by"));
    ASSIGN_OR_RETURN(auto token, d.OptionalString("page_token"));
    s.page_token = token.value_or("");
    return ctx.traces_v3.Search(req.workspace, s);
  }());
}

http::Response LinkTracesToRun(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(auto ids, d.StringList("trace_ids"));
    ASSIGN_OR_RETURN(std::string run_id, d.RequiredString("run_id"));
    return ctx.traces_v3.LinkToRun(req.workspace, ids, run_id);
  }());
}

http::Response CreateAssessment(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(json a, ctx.traces_v3.CreateAssessment(req.workspace, TraceIdParam(req),
                                                            d.Json("assessment")));
    return json{{"assessment", std::move(a)}};
  }());
}

http::Response GetAssessment(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(json a, ctx.traces_v3.GetAssessment(req.workspace, TraceIdParam(req),
                                                         req.path_params["assessment_id"]));
    return json{{"assessment", std::move(a)}};
  }());
}

http::Response UpdateAssessment(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    // update_mask is a FieldMask: protobuf JSON writes it as "a,b" (or {"paths": [...]}).
    std::vector<std::string> paths;
    const json& mask = d.Json("update_mask");
    if (mask.is_string()) {
      std::string m = mask.get<std::string>();
      size_t start = 0;
      while (start <= m.size()) {
        size_t comma = m.find(',', start);
        if (comma == std::string::npos) comma = m.size();
        if (comma > start) paths.push_back(SnakeCase(m.substr(start, comma - start)));
        start = comma + 1;
      }
    } else if (mask.is_object() && mask.contains("paths") && mask["paths"].is_array()) {
      for (const auto& p : mask["paths"]) {
        if (p.is_string()) paths.push_back(SnakeCase(p.get<std::string>()));
      }
    }
    const json& changes = d.Json("assessment");
    if (!changes.is_object()) return MissingParameter("assessment");
    ASSIGN_OR_RETURN(
        json a, ctx.traces_v3.UpdateAssessment(req.workspace, TraceIdParam(req),
                                               req.path_params["assessment_id"], changes, paths));
    return json{{"assessment", std::move(a)}};
  }());
}

http::Response DeleteAssessment(ApiContext& ctx, http::Request& req) {
  return Reply(ctx.traces_v3.DeleteAssessment(req.workspace, TraceIdParam(req),
                                              req.path_params["assessment_id"]));
}

}  // namespace mlws::api
