// /api/v1/workspaces/{ws}/batch-endpoints[/{name}[/invoke|jobs]] and their deployments
// (serving::BatchService).
#include "api/handlers.h"
#include "api/serving_json.h"

namespace mlws::api {

using nlohmann::json;

namespace {

const std::string& Ws(http::Request& req) { return req.path_params["ws"]; }
const std::string& Name(http::Request& req) { return req.path_params["name"]; }
const std::string& Endpoint(http::Request& req) { return req.path_params["endpoint"]; }

Status BatchAvailable(ApiContext& ctx) {
  if (ctx.batch != nullptr) return Status::Ok();
  return Status(ErrorCode::kTemporarilyUnavailable, "batch endpoints are not served here");
}

json EndpointJson(const std::string& ws, const serving::BatchEndpoint& e) {
  json j = serving::BatchEndpointToJson(e);
  j["defaults"] = {{"deployment_name", e.default_deployment}};
  j["provisioning_state"] = "Succeeded";
  j["scoring_uri"] = "/api/v1/workspaces/" + ws + "/batch-endpoints/" + e.name + "/invoke";
  return j;
}

json DeploymentJson(const serving::BatchDeployment& d) { return serving::BatchDeploymentToJson(d); }

StatusOr<std::string> OptField(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return std::string();
  if (!body[key].is_string()) return InvalidArgument(std::string("'") + key + "' must be a string");
  return body[key].get<std::string>();
}

http::Response PutDeployment(ApiContext& ctx, http::Request& req, bool update) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(BatchAvailable(ctx));
    ASSIGN_OR_RETURN(json spec, ServingBody(req));
    if (update) {
      if (!spec.contains("name")) spec["name"] = Name(req);
      if (spec["name"] != json(Name(req))) {
        return InvalidArgument("the spec's name differs from the deployment in the URL");
      }
    }
    auto q = req.Query("set_default");
    bool set_default = q && (*q == "true" || *q == "1");
    ASSIGN_OR_RETURN(auto d,
                     ctx.batch->PutDeployment(Ws(req), Endpoint(req), spec, update, set_default));
    return DeploymentJson(d);
  }());
}

}  // namespace

http::Response CreateBatchEndpoint(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(BatchAvailable(ctx));
    ASSIGN_OR_RETURN(json spec, ServingBody(req));
    ASSIGN_OR_RETURN(auto e, ctx.batch->CreateEndpoint(Ws(req), spec));
    return EndpointJson(Ws(req), e);
  }());
}

http::Response ListBatchEndpoints(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(BatchAvailable(ctx));
    ASSIGN_OR_RETURN(auto list, ctx.batch->ListEndpoints(Ws(req)));
    json value = json::array();
    for (const auto& e : list) value.push_back(EndpointJson(Ws(req), e));
    return json{{"value", value}};
  }());
}

http::Response GetBatchEndpoint(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(BatchAvailable(ctx));
    ASSIGN_OR_RETURN(auto e, ctx.batch->GetEndpoint(Ws(req), Name(req)));
    return EndpointJson(Ws(req), e);
  }());
}

http::Response UpdateBatchEndpoint(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(BatchAvailable(ctx));
    ASSIGN_OR_RETURN(json spec, ServingBody(req));
    ASSIGN_OR_RETURN(auto e, ctx.batch->UpdateEndpoint(Ws(req), Name(req), spec));
    return EndpointJson(Ws(req), e);
  }());
}

http::Response DeleteBatchEndpoint(ApiContext& ctx, http::Request& req) {
  Status st = BatchAvailable(ctx);
  if (st.ok()) st = ctx.batch->DeleteEndpoint(Ws(req), Name(req));
  return Reply(st);
}

http::Response InvokeBatchEndpoint(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(BatchAvailable(ctx));
    ASSIGN_OR_RETURN(json body, ServingBody(req));
    for (const auto& [k, v] : body.items()) {
      if (k != "input" && k != "input_type" && k != "deployment_name" && k != "experiment_name") {
        return InvalidArgument("unknown field '" + k + "' in the invoke request");
      }
    }
    serving::BatchInvokeRequest r;
    ASSIGN_OR_RETURN(r.input, OptField(body, "input"));
    ASSIGN_OR_RETURN(r.input_type, OptField(body, "input_type"));
    ASSIGN_OR_RETURN(r.deployment, OptField(body, "deployment_name"));
    ASSIGN_OR_RETURN(r.experiment_name, OptField(body, "experiment_name"));
    // Invoking starts a job: the caller must be allowed to start jobs too.
    auth::Principal who = PrincipalOf(ctx, req);
    ASSIGN_OR_RETURN(std::int64_t ws_id, ctx.tracking.WorkspaceId(Ws(req)));
    RETURN_IF_ERROR(ctx.auth.Authorize(who, "workspaces/jobs/write", ws_id));
    ASSIGN_OR_RETURN(jobs::Job j, ctx.batch->Invoke(Ws(req), Name(req), r, who));
    return JobJson(j);
  }());
}

http::Response ListBatchEndpointJobs(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(BatchAvailable(ctx));
    ASSIGN_OR_RETURN(auto list, ctx.batch->ListJobs(Ws(req), Name(req)));
    json value = json::array();
    for (const auto& j : list) value.push_back(JobJson(j));
    return json{{"value", value}};
  }());
}

http::Response CreateBatchDeployment(ApiContext& ctx, http::Request& req) {
  return PutDeployment(ctx, req, false);
}

http::Response UpdateBatchDeployment(ApiContext& ctx, http::Request& req) {
  return PutDeployment(ctx, req, true);
}

http::Response ListBatchDeployments(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(BatchAvailable(ctx));
    ASSIGN_OR_RETURN(auto list, ctx.batch->ListDeployments(Ws(req), Endpoint(req)));
    json value = json::array();
    for (const auto& d : list) value.push_back(DeploymentJson(d));
    return json{{"value", value}};
  }());
}

http::Response GetBatchDeployment(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(BatchAvailable(ctx));
    ASSIGN_OR_RETURN(auto d, ctx.batch->GetDeployment(Ws(req), Endpoint(req), Name(req)));
    return DeploymentJson(d);
  }());
}

http::Response DeleteBatchDeployment(ApiContext& ctx, http::Request& req) {
  Status st = BatchAvailable(ctx);
  if (st.ok()) st = ctx.batch->DeleteDeployment(Ws(req), Endpoint(req), Name(req));
  return Reply(st);
}

}  // namespace mlws::api
