// OTLP/HTTP span export (POST /v1/traces) and the v3 routes that return traces with their
// spans (GET /api/3.0/mlflow/traces/get, /traces/batchGet), as MLflow 3's server serves them.
#include "api/mlflow3_handlers.h"
#include "mlws/tracking/otlp.h"

namespace mlws::api {

using nlohmann::json;

// Success is an empty ExportTraceServiceResponse in protobuf, as MLflow answers.
http::Response ExportOtlpTraces(ApiContext& ctx, http::Request& req) {
  http::Response r = Reply([&]() -> StatusOr<json> {
    std::string type = req.Header("content-type").value_or("");
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ') type.pop_back();
    if (type != "application/x-protobuf" && type != "application/json") {
      return InvalidArgument(
          "Invalid Content-Type: " + req.Header("content-type").value_or("None").substr(0, 100) +
          ". Expected: application/x-protobuf or application/json");
    }
    if (auto enc = req.Header("content-encoding"); enc && *enc != "identity") {
      return InvalidArgument("Unsupported Content-Encoding: " + enc->substr(0, 40) +
                             " (send the OTLP body uncompressed)");
    }
    auto exp = req.Header("x-mlflow-experiment-id");
    if (!exp || exp->empty()) {
      return InvalidArgument("Missing required header 'x-mlflow-experiment-id'");
    }
    if (req.body.size() > tracking::kMaxOtlpBodyBytes) {
      return Status(ErrorCode::kPayloadTooLarge,
                    "OTLP export requests must be at most 16 MiB; send the spans in batches");
    }
    ASSIGN_OR_RETURN(auto spans, type == "application/json"
                                     ? tracking::DecodeOtlpJson(req.body)
                                     : tracking::DecodeOtlpProtobuf(req.body));
    if (spans.empty()) return InvalidArgument("Invalid OpenTelemetry format - no spans found");
    RETURN_IF_ERROR(ctx.traces_v3.IngestOtlp(req.workspace, *exp,
                                             req.Header("x-mlflow-run-id").value_or(""), spans));
    return json();
  }());
  if (r.status == 200) {
    r.content_type = "application/x-protobuf";
    r.body.clear();
  }
  return r;
}

http::Response GetTraceV3(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, d.RequiredString("trace_id"));
    ASSIGN_OR_RETURN(json trace, ctx.traces_v3.GetTrace(req.workspace, id));
    return json{{"trace", std::move(trace)}};
  }());
}

http::Response BatchGetTracesV3(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    if (!d.Has("trace_ids")) return MissingParameter("trace_ids");
    ASSIGN_OR_RETURN(auto ids, d.StringList("trace_ids"));
    std::optional<std::vector<std::string>> exps;
    if (d.Has("experiment_ids")) {
      ASSIGN_OR_RETURN(exps, d.StringList("experiment_ids"));
    }
    return ctx.traces_v3.BatchGetTraces(req.workspace, ids, exps);
  }());
}

}  // namespace mlws::api
