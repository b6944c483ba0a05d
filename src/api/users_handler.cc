#include "api/handlers.h"

namespace mlws::api {

using nlohmann::json;

namespace {
json UserJson(const auth::User& u) {
  return {{"name", u.name}, {"creation_time", u.creation_time}, {"disabled", u.disabled}};
}
}  // namespace

http::Response WhoAmI(ApiContext& ctx, http::Request& req) {
  return Reply(StatusOr<json>(json{{"user", req.user},
                                   {"authenticated", req.user_id != 0},
                                   {"auth_required", ctx.auth.auth_required()}}));
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
