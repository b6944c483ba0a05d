#include <charconv>

#include "api/handlers.h"

namespace mlws::api {

using nlohmann::json;

namespace {
json TokenJson(const auth::TokenInfo& t) {
  json j = {{"id", t.id},         {"name", t.name},       {"user", t.user_name},
            {"prefix", t.prefix}, {"revoked", t.revoked}, {"creation_time", t.creation_time}};
  if (t.expiry_time) j["expiry_time"] = *t.expiry_time;
  if (t.last_used_time) j["last_used_time"] = *t.last_used_time;
  return j;
}
}  // namespace

http::Response CreateToken(ApiContext& ctx, http::Request& req) {
  auto resp = Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(auto days, d.OptionalInt("expires_in_days"));
    ASSIGN_OR_RETURN(auto t, ctx.auth.CreateToken(PrincipalOf(ctx, req), name, days));
    // The secret is returned once and never stored.
    return json{{"token", TokenJson(t.info)}, {"secret", t.secret}};
  }());
  if (resp.status == 200) resp.status = 201;
  return resp;
}

http::Response ListTokens(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto tokens, ctx.auth.ListTokens(PrincipalOf(ctx, req)));
    json arr = json::array();
    for (const auto& t : tokens) arr.push_back(TokenJson(t));
    return json{{"tokens", std::move(arr)}};
  }());
}

http::Response RevokeToken(ApiContext& ctx, http::Request& req) {
  const std::string& raw = req.path_params["id"];
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), id);
  if (ec != std::errc() || p != raw.data() + raw.size()) {
    return http::ErrorResponse(NotFound("Token " + raw.substr(0, 40) + " does not exist."));
  }
  auth::Principal who = PrincipalOf(ctx, req);
  // Users revoke their own tokens; whoever may manage users may revoke anyone's.
  bool any = ctx.auth.Authorize(who, "server/users/write", std::nullopt).ok();
  return Reply(ctx.auth.RevokeToken(who, id, any));
}

}  // namespace mlws::api
