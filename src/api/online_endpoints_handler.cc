// /api/v1/workspaces/{ws}/online-endpoints (serving::EndpointService), and the scoring route.
#include "api/handlers.h"
#include "api/serving_json.h"
#include "mlws/common/ids.h"

namespace mlws::api {

using nlohmann::json;

namespace {

const std::string& Ws(http::Request& req) { return req.path_params["ws"]; }
const std::string& Name(http::Request& req) { return req.path_params["name"]; }

json Keys(const serving::OnlineEndpoint& e) {
  return {{"primaryKey", e.primary_key}, {"secondaryKey", e.secondary_key}};
}

}  // namespace

http::Response CreateOnlineEndpoint(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(ServingAvailable(ctx));
    ASSIGN_OR_RETURN(json spec, ServingBody(req));
    ASSIGN_OR_RETURN(auto e, ctx.endpoints->CreateEndpoint(Ws(req), spec));
    return OnlineEndpointJson(ctx, Ws(req), e);
  }());
}

http::Response ListOnlineEndpoints(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(ServingAvailable(ctx));
    ASSIGN_OR_RETURN(auto list, ctx.endpoints->ListEndpoints(Ws(req)));
    json value = json::array();
    for (const auto& e : list) value.push_back(OnlineEndpointJson(ctx, Ws(req), e));
    return json{{"value", value}};
  }());
}

http::Response GetOnlineEndpoint(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(ServingAvailable(ctx));
    ASSIGN_OR_RETURN(auto e, ctx.endpoints->GetEndpoint(Ws(req), Name(req)));
    return OnlineEndpointJson(ctx, Ws(req), e);
  }());
}

http::Response UpdateOnlineEndpoint(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(ServingAvailable(ctx));
    ASSIGN_OR_RETURN(json spec, ServingBody(req));
    ASSIGN_OR_RETURN(auto e, ctx.endpoints->UpdateEndpoint(Ws(req), Name(req), spec));
    return OnlineEndpointJson(ctx, Ws(req), e);
  }());
}

http::Response DeleteOnlineEndpoint(ApiContext& ctx, http::Request& req) {
  Status st = ServingAvailable(ctx);
  if (st.ok()) st = ctx.endpoints->DeleteEndpoint(Ws(req), Name(req));
  return Reply(st);
}

http::Response GetOnlineEndpointKeys(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(ServingAvailable(ctx));
    ASSIGN_OR_RETURN(auto e, ctx.endpoints->GetEndpoint(Ws(req), Name(req)));
    if (e.auth_mode != "key") {
      return InvalidArgument("endpoint '" + e.name +
                             "' uses auth_mode aml_token: call it with a workspace API token "
                             "(POST /api/v1/tokens)");
    }
    return Keys(e);
  }());
}

http::Response RegenerateOnlineEndpointKeys(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(ServingAvailable(ctx));
    json body = json::object();
    if (!req.body.empty()) {
      ASSIGN_OR_RETURN(body, ServingBody(req));
    }
    const json& kt = body.contains("key_type") ? body["key_type"] : json("primary");
    if (!kt.is_string()) return InvalidArgument("key_type must be 'primary' or 'secondary'");
    ASSIGN_OR_RETURN(auto e,
                     ctx.endpoints->RegenerateKey(Ws(req), Name(req), kt.get<std::string>()));
    return Keys(e);
  }());
}

http::Response ScoreOnlineEndpoint(ApiContext& ctx, http::Request& req) {
  std::string request_id = req.Header("x-request-id").value_or("");
  if (request_id.empty() || request_id.size() > 128) request_id = NewRunId();
  http::Response r;
  if (ctx.endpoints == nullptr) {
    r = http::ErrorResponse(ServingAvailable(ctx));
  } else {
    serving::ScoreRequest s;
    s.workspace = Ws(req);
    s.endpoint = Name(req);
    s.body = std::move(req.body);
    s.request_id = request_id;
    s.deployment = req.Header("azureml-model-deployment").value_or("");
    // The admission step (routes.cc) marks a request that carried one of the endpoint's keys.
    s.key_authenticated = req.user == kEndpointKeyUser;
    s.token_authenticated = req.user_id != 0;
    serving::ScoreResult out = ctx.endpoints->Score(s);
    r = http::JsonResponse(std::move(out.body), out.status);
    if (!out.deployment.empty()) r.headers.emplace_back("azureml-model-deployment", out.deployment);
  }
  r.headers.emplace_back("x-request-id", request_id);
  return r;
}

}  // namespace mlws::api
