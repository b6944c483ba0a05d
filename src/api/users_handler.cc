#include "api/handlers.h"
#include "mlws/api/routes.h"

namespace mlws::api {

using nlohmann::json;

namespace {
json UserJson(const auth::User& u) {
  return {{"name", u.name}, {"creation_time", u.creation_time}, {"disabled", u.disabled}};
}
}  // namespace

auth::Principal PrincipalOf(ApiContext& ctx, const http::Request& req) {
  return auth::Principal{req.user_id, req.user, req.user_id == 0 && !ctx.auth.auth_required()};
}

// Who the caller is and, for the workspace in ?workspace= (default "default"), which actions
// they may perform: what the studio uses to show only what the user may do.
http::Response WhoAmI(ApiContext& ctx, http::Request& req) {
  json allowed = json::object();
  std::string ws = req.Query("workspace").value_or("default");
  auto ws_id = ctx.tracking.WorkspaceId(ws);
  auth::Principal who = PrincipalOf(ctx, req);
  for (const auto& r : RouteTable()) {
    if (allowed.contains(r.action)) continue;
    allowed[r.action] =
        ctx.auth
            .Authorize(who, r.action,
                       ws_id.ok() ? std::optional<std::int64_t>(*ws_id) : std::nullopt)
            .ok();
  }
  return Reply(StatusOr<json>(json{{"user", req.user},
                                   {"authenticated", req.user_id != 0},
                                   {"auth_required", ctx.auth.auth_required()},
                                   {"workspace", ws},
                                   {"allowed_actions", std::move(allowed)}}));
}

http::Response CreateUser(ApiContext& ctx, http::Request& req) {
  auto resp = Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string password, d.RequiredString("password"));
    ASSIGN_OR_RETURN(auto user, ctx.auth.CreateUser(name, password));
    return json{{"user", UserJson(user)}};
  }());
  if (resp.status == 200) resp.status = 201;
  return resp;
}

http::Response ListUsers(ApiContext& ctx, http::Request&) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto users, ctx.auth.ListUsers());
    json arr = json::array();
    for (const auto& u : users) arr.push_back(UserJson(u));
    return json{{"users", std::move(arr)}};
  }());
}

http::Response DeleteUser(ApiContext& ctx, http::Request& req) {
  return Reply(ctx.auth.DeleteUser(req.path_params["name"]));
}

}  // namespace mlws::api
