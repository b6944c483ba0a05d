// /api/v1/registries: registries (server scope), the assets in them, and sharing a workspace's
// asset into one (include/mlws/registries/registry_service.h). Registry asset reads reuse the
// workspace asset handlers on the registry's asset workspace.
#include "api/registries_handler.h"

#include "api/asset_json.h"
#include "mlws/registries/registry_json.h"

namespace mlws::api {

using nlohmann::json;

namespace {

Status NotServed() {
  return Status(ErrorCode::kTemporarilyUnavailable, "registries are not served by this server");
}

// "/api/v1/{workspaces,registries}/<x>/<collection>/..." -> the kind.
StatusOr<assets::AssetKind> KindInPath(const std::string& path) {
  std::string_view p = path;
  for (std::string_view prefix : {"/api/v1/workspaces/", "/api/v1/registries/"}) {
    if (p.substr(0, prefix.size()) != prefix) continue;
    p.remove_prefix(prefix.size());
    size_t slash = p.find('/');
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash + 1);
    if (auto kind = assets::ParseAssetKind(std::string(p.substr(0, p.find('/'))))) return *kind;
  }
  return Internal("asset route without a collection");
}

}  // namespace

http::Response CreateRegistry(ApiContext& ctx, http::Request& req) {
  auto resp = Reply([&]() -> StatusOr<json> {
    if (ctx.registries == nullptr) return NotServed();
    ASSIGN_OR_RETURN(auto r, ctx.registries->Create(req.body, req.user));
    return RegistryJson(r);
  }());
  if (resp.status == 200) resp.status = 201;
  return resp;
}

http::Response ListRegistries(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    if (ctx.registries == nullptr) return NotServed();
    ASSIGN_OR_RETURN(auto list, ctx.registries->List(PrincipalOf(ctx, req)));
    json out = json::array();
    for (const auto& r : list) out.push_back(RegistryJson(r));
    return json{{"value", out}};
  }());
}

http::Response GetRegistry(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    if (ctx.registries == nullptr) return NotServed();
    ASSIGN_OR_RETURN(auto r, ctx.registries->Get(req.path_params["reg"]));
    return RegistryJson(r);
  }());
}

http::Response DeleteRegistry(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    if (ctx.registries == nullptr) return NotServed();
    return ctx.registries->Delete(req.path_params["reg"]);
  }());
}

http::Response CreateRegistryAsset(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    if (ctx.registries == nullptr) return NotServed();
    ASSIGN_OR_RETURN(auto kind, KindInPath(req.path));
    std::string from = req.Query("from_workspace").value_or("");
    if (!from.empty()) {
      // The files come from that workspace: the caller must be able to read them there.
      ASSIGN_OR_RETURN(std::int64_t wid, ctx.tracking.WorkspaceId(from));
      RETURN_IF_ERROR(ctx.auth.Authorize(PrincipalOf(ctx, req), "workspaces/uploads/read", wid));
    }
    ASSIGN_OR_RETURN(auto a, ctx.registries->CreateAsset(req.path_params["reg"], kind, req.body,
                                                         from, req.user));
    return ToJson(a);
  }());
}

http::Response ShareAsset(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    if (ctx.registries == nullptr) return NotServed();
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    registries::ShareRequest r;
    ASSIGN_OR_RETURN(r.kind, KindInPath(req.path));
    r.workspace = req.path_params.at("ws");
    r.name = req.path_params.at("name");
    r.version = req.path_params.at("version");
    ASSIGN_OR_RETURN(r.registry, d.RequiredString("registry_name"));
    ASSIGN_OR_RETURN(auto with_name, d.OptionalString("share_with_name"));
    ASSIGN_OR_RETURN(auto with_version, d.OptionalString("share_with_version"));
    r.share_with_name = with_name.value_or("");
    r.share_with_version = with_version.value_or("");
    RETURN_IF_ERROR(ctx.registries->Authorize(
        PrincipalOf(ctx, req), r.registry,
        std::string("registries/") + assets::CollectionName(r.kind) + "/write"));
    ASSIGN_OR_RETURN(auto a, ctx.registries->Share(r, req.user));
    return ToJson(a);
  }());
}

http::Response InRegistryWorkspace(ApiContext& ctx, http::Request& req, HandlerFn fn) {
  if (ctx.registries == nullptr) return Reply(NotServed());
  auto ws = ctx.registries->WorkspaceOf(req.path_params["reg"]);
  if (!ws.ok()) return Reply(ws.status());
  req.path_params["ws"] = *ws;
  return fn(ctx, req);
}

}  // namespace mlws::api
