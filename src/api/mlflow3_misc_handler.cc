// The smaller MLflow 3 routes: server-info, delete-experiment-tag, registry webhooks.
#include "api/mlflow3_handlers.h"
#include "api/mlflow_json.h"

namespace mlws::api {

using nlohmann::json;

namespace {

StatusOr<tracking::WebhookInput> WebhookInputOf(const RequestDecoder& d) {
  tracking::WebhookInput in;
  ASSIGN_OR_RETURN(in.name, d.OptionalString("name"));
  ASSIGN_OR_RETURN(in.description, d.OptionalString("description"));
  ASSIGN_OR_RETURN(in.url, d.OptionalString("url"));
  ASSIGN_OR_RETURN(in.secret, d.OptionalString("secret"));
  ASSIGN_OR_RETURN(in.status, d.OptionalString("status"));
  const json& events = d.Json("events");
  if (!events.is_null()) in.events = events;
  return in;
}

}  // namespace

// What an MLflow 3 client asks before artifact transfers (multipart support) and for telemetry.
http::Response ServerInfo(ApiContext&, http::Request&) {
  json info = {{"store_type", "SqlStore"},
               {"workspaces_enabled", false},  // mlws workspaces are URL prefixes, not headers
               {"trace_archival_enabled", false},
               {"multipart_uploads_enabled", false},
               {"multipart_downloads_enabled", false},
               {"presigned_upload_run_id_supported", false},
               {"presigned_upload_model_id_supported", false},
               {"features_enabled", json::object()}};
  return http::JsonResponse(info.dump());
}

http::Response DeleteExperimentTag(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, d.RequiredString("experiment_id"));
    ASSIGN_OR_RETURN(std::string key, d.RequiredString("key"));
    return ctx.tracking.DeleteExperimentTag(req.workspace, id, key);
  }());
}

http::Response CreateWebhook(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(auto in, WebhookInputOf(d));
    ASSIGN_OR_RETURN(json w, ctx.webhooks.Create(req.workspace, in));
    return json{{"webhook", std::move(w)}};
  }());
}

http::Response ListWebhooks(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(auto max, d.OptionalInt("max_results"));
    ASSIGN_OR_RETURN(auto token, d.OptionalString("page_token"));
    return ctx.webhooks.List(req.workspace, max.value_or(100), token.value_or(""));
  }());
}

http::Response GetWebhook(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(json w, ctx.webhooks.Get(req.workspace, req.path_params["webhook_id"]));
    return json{{"webhook", std::move(w)}};
  }());
}

http::Response UpdateWebhook(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(auto in, WebhookInputOf(d));
    ASSIGN_OR_RETURN(json w, ctx.webhooks.Update(req.workspace, req.path_params["webhook_id"], in));
    return json{{"webhook", std::move(w)}};
  }());
}

http::Response DeleteWebhook(ApiContext& ctx, http::Request& req) {
  return Reply(ctx.webhooks.Delete(req.workspace, req.path_params["webhook_id"]));
}

http::Response TestWebhook(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(
        json r, ctx.webhooks.Test(req.workspace, req.path_params["webhook_id"], d.Json("event")));
    return json{{"result", std::move(r)}};
  }());
}

}  // namespace mlws::api
