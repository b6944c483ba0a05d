#include "api/handlers.h"

namespace mlws::api {

using nlohmann::json;

namespace {
json GroupJson(const auth::Group& g) {
  return {{"name", g.name}, {"creation_time", g.creation_time}, {"members", g.members}};
}
}  // namespace

http::Response CreateGroup(ApiContext& ctx, http::Request& req) {
  auto resp = Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(auto g, ctx.auth.CreateGroup(name));
    return json{{"group", GroupJson(g)}};
  }());
  if (resp.status == 200) resp.status = 201;
  return resp;
}

http::Response ListGroups(ApiContext& ctx, http::Request&) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto groups, ctx.auth.ListGroups());
    json arr = json::array();
    for (const auto& g : groups) arr.push_back(GroupJson(g));
    return json{{"groups", std::move(arr)}};
  }());
}

http::Response DeleteGroup(ApiContext& ctx, http::Request& req) {
  return Reply(ctx.auth.DeleteGroup(req.path_params["name"]));
}

http::Response AddGroupMember(ApiContext& ctx, http::Request& req) {
  return Reply(ctx.auth.SetMembership(req.path_params["name"], req.path_params["user"], true));
}

http::Response RemoveGroupMember(ApiContext& ctx, http::Request& req) {
  return Reply(ctx.auth.SetMembership(req.path_params["name"], req.path_params["user"], false));
}

}  // namespace mlws::api
