#include <charconv>

#include "api/handlers.h"

namespace mlws::api {

using nlohmann::json;

namespace {
json AssignmentJson(const auth::RoleAssignment& a) {
  json j = {{"id", a.id}, {"role", a.role}, {"creation_time", a.creation_time}};
  if (a.group_id != 0) {
    j["group"] = a.group_name;
  } else {
    j["user"] = a.user_name;
  }
  if (a.workspace_id && registries::IsRegistryWorkspace(a.workspace)) {
    // Registry scope: an assignment on the registry's asset workspace (registry_directory.h).
    j["scope"] = "registry";
    j["registry"] = a.workspace.substr(registries::kRegistryWorkspacePrefix.size());
  } else if (a.workspace_id) {
    j["scope"] = "workspace";
    j["workspace"] = a.workspace;
  } else {
    j["scope"] = "server";
  }
  return j;
}
}  // namespace

http::Response ListRoles(ApiContext& ctx, http::Request&) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto roles, ctx.auth.ListRoles());
    json arr = json::array();
    for (const auto& r : roles) {
      arr.push_back({{"name", r.name},
                     {"description", r.description},
                     {"allow", r.allow},
                     {"deny", r.deny},
                     {"builtin", auth::FindBuiltinRole(r.name).has_value()}});
    }
    return json{{"roles", std::move(arr)}};
  }());
}

http::Response CreateRole(ApiContext& ctx, http::Request& req) {
  auto resp = Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    auth::Role role;
    ASSIGN_OR_RETURN(role.name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(auto desc, d.OptionalString("description"));
    role.description = desc.value_or("");
    ASSIGN_OR_RETURN(role.allow, d.StringList("allow"));
    ASSIGN_OR_RETURN(role.deny, d.StringList("deny"));
    return ctx.auth.CreateRole(role);
  }());
  if (resp.status == 200) resp.status = 201;
  return resp;
}

http::Response DeleteRole(ApiContext& ctx, http::Request& req) {
  return Reply(ctx.auth.DeleteRole(req.path_params["name"]));
}

http::Response CreateRoleAssignment(ApiContext& ctx, http::Request& req) {
  auto resp = Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(auto user, d.OptionalString("user"));
    ASSIGN_OR_RETURN(auto group, d.OptionalString("group"));
    ASSIGN_OR_RETURN(std::string role, d.RequiredString("role"));
    ASSIGN_OR_RETURN(auto ws, d.OptionalString("workspace"));
    std::optional<std::int64_t> ws_id;
    ASSIGN_OR_RETURN(auto reg, d.OptionalString("registry"));
    if (reg && !reg->empty()) {
      if (ws && !ws->empty()) return InvalidArgument("give a workspace or a registry, not both");
      if (ctx.registries == nullptr) return InvalidArgument("registries are not served here");
      ASSIGN_OR_RETURN(ws_id, ctx.registries->WorkspaceIdOf(*reg));
      ws = std::string(registries::kRegistryWorkspacePrefix) + *reg;
    } else if (ws && !ws->empty()) {
      if (registries::IsRegistryWorkspace(*ws)) {
        return NotFound("Workspace '" + ws->substr(0, 100) + "' not found.");
      }
      ASSIGN_OR_RETURN(ws_id, ctx.tracking.WorkspaceId(*ws));
    }
    ASSIGN_OR_RETURN(auto a, ctx.auth.Assign(user.value_or(""), group.value_or(""), role, ws_id));
    if (ws) a.workspace = *ws;
    return json{{"role_assignment", AssignmentJson(a)}};
  }());
  if (resp.status == 200) resp.status = 201;
  return resp;
}

http::Response ListRoleAssignments(ApiContext& ctx, http::Request&) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto list, ctx.auth.ListAssignments());
    json arr = json::array();
    for (const auto& a : list) arr.push_back(AssignmentJson(a));
    return json{{"role_assignments", std::move(arr)}};
  }());
}

http::Response DeleteRoleAssignment(ApiContext& ctx, http::Request& req) {
  const std::string& raw = req.path_params["id"];
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), id);
  if (ec != std::errc() || p != raw.data() + raw.size()) {
    return http::ErrorResponse(
        NotFound("Role assignment " + raw.substr(0, 40) + " does not exist."));
  }
  return Reply(ctx.auth.Unassign(id));
}

}  // namespace mlws::api
