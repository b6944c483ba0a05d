// /api/v1/workspaces/{ws}/online-endpoints/{endpoint}/deployments (serving::EndpointService).
#include <charconv>

#include "api/handlers.h"
#include "api/serving_json.h"

namespace mlws::api {

using nlohmann::json;

namespace {

const std::string& Ws(http::Request& req) { return req.path_params["ws"]; }
const std::string& Endpoint(http::Request& req) { return req.path_params["endpoint"]; }
const std::string& Name(http::Request& req) { return req.path_params["name"]; }

http::Response Put(ApiContext& ctx, http::Request& req, bool update) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(ServingAvailable(ctx));
    ASSIGN_OR_RETURN(json spec, ServingBody(req));
    if (update) {
      if (!spec.contains("name")) spec["name"] = Name(req);
      if (spec["name"] != json(Name(req))) {
        return InvalidArgument("the spec's name differs from the deployment in the URL");
      }
    }
    auth::Principal who = PrincipalOf(ctx, req);
    bool owner =
        who.open_mode || ctx.auth.Authorize(who, "server/roleAssignments/write", std::nullopt).ok();
    ASSIGN_OR_RETURN(auto d,
                     ctx.endpoints->PutDeployment(Ws(req), Endpoint(req), spec, update, owner));
    return OnlineDeploymentJson(d);
  }());
}

}  // namespace

http::Response CreateOnlineDeployment(ApiContext& ctx, http::Request& req) {
  return Put(ctx, req, false);
}

http::Response UpdateOnlineDeployment(ApiContext& ctx, http::Request& req) {
  return Put(ctx, req, true);
}

http::Response ListOnlineDeployments(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(ServingAvailable(ctx));
    ASSIGN_OR_RETURN(auto list, ctx.endpoints->ListDeployments(Ws(req), Endpoint(req)));
    json value = json::array();
    for (const auto& d : list) value.push_back(OnlineDeploymentJson(d));
    return json{{"value", value}};
  }());
}

http::Response GetOnlineDeployment(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(ServingAvailable(ctx));
    ASSIGN_OR_RETURN(auto d, ctx.endpoints->GetDeployment(Ws(req), Endpoint(req), Name(req)));
    return OnlineDeploymentJson(d);
  }());
}

http::Response DeleteOnlineDeployment(ApiContext& ctx, http::Request& req) {
  Status st = ServingAvailable(ctx);
  if (st.ok()) st = ctx.endpoints->DeleteDeployment(Ws(req), Endpoint(req), Name(req));
  return Reply(st);
}

http::Response GetOnlineDeploymentLogs(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(ServingAvailable(ctx));
    int lines = 100;
    if (auto l = req.Query("lines")) {
      auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), lines);
      if (ec != std::errc() || p != l->data() + l->size()) {
        return InvalidArgument("lines must be an integer");
      }
    }
    ASSIGN_OR_RETURN(std::string text,
                     ctx.endpoints->DeploymentLogs(Ws(req), Endpoint(req), Name(req), lines));
    return json{{"logs", text}};
  }());
}

}  // namespace mlws::api
