#include "api/handlers.h"

namespace mlws::api {

using nlohmann::json;

namespace {
StatusOr<std::int64_t> Workspace(ApiContext& ctx, http::Request& req) {
  return ctx.tracking.WorkspaceId(req.path_params["ws"]);
}
}  // namespace

http::Response ListSecrets(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(std::int64_t ws, Workspace(ctx, req));
    ASSIGN_OR_RETURN(auto list, ctx.secrets.List(ws));
    json arr = json::array();
    for (const auto& s : list) {
      arr.push_back(
          {{"name", s.name}, {"creation_time", s.creation_time}, {"update_time", s.update_time}});
    }
    return json{{"secrets", std::move(arr)}};
  }());
}

http::Response SetSecret(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(std::int64_t ws, Workspace(ctx, req));
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(auto value, d.OptionalString("value"));
    if (!value) return MissingParameter("value");
    return ctx.secrets.Set(ws, req.path_params["name"], *value);
  }());
}

http::Response GetSecret(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(std::int64_t ws, Workspace(ctx, req));
    ASSIGN_OR_RETURN(std::string value, ctx.secrets.Get(ws, req.path_params["name"]));
    return json{{"name", req.path_params["name"]}, {"value", value}};
  }());
}

http::Response DeleteSecret(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(std::int64_t ws, Workspace(ctx, req));
    return ctx.secrets.Delete(ws, req.path_params["name"]);
  }());
}

}  // namespace mlws::api
