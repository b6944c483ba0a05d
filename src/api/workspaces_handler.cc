#include "api/handlers.h"
#include "api/mlflow_json.h"
#include "mlws/api/request_decoder.h"
#include "mlws/assets/shared_resources.h"

namespace mlws::api {

using nlohmann::json;

namespace {

// Self-serve (docs/security.md): a creator without full control of the new workspace (a
// "Workspace Creator") becomes its Owner at workspace scope. If that cannot be recorded the
// workspace is removed again, so nothing is half-created.
Status MakeCreatorOwner(ApiContext& ctx, const http::Request& req, const std::string& name,
                        std::int64_t ws_id) {
  auth::Principal who = PrincipalOf(ctx, req);
  if (who.open_mode || who.user_id == 0) return Status::Ok();
  if (ctx.auth.Authorize(who, "workspaces/roleAssignments/write", ws_id).ok()) {
    return Status::Ok();
  }
  auto assigned = ctx.auth.Assign(who.name, "", "Owner", ws_id);
  if (assigned.ok()) return Status::Ok();
  (void)ctx.tracking.DeleteWorkspace(name);
  ctx.auth.ForgetWorkspace(ws_id);
  return assigned.status();
}

}  // namespace

http::Response CreateWorkspace(ApiContext& ctx, http::Request& req) {
  auto result = [&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(auto desc, d.OptionalString("description"));
    ASSIGN_OR_RETURN(auto ws, ctx.tracking.CreateWorkspace(name, desc.value_or("")));
    RETURN_IF_ERROR(MakeCreatorOwner(ctx, req, ws.name, ws.id));
    return json{{"workspace", ToJson(ws)}};
  }();
  auto resp = Reply(result);
  if (resp.status == 200) resp.status = 201;
  if (!result.ok() && result.status().code() == ErrorCode::kResourceAlreadyExists) {
    resp.status = 409;  // the mlws API uses REST conventions (MLflow's API keeps 400)
  }
  return resp;
}

http::Response ListWorkspaces(ApiContext& ctx, http::Request&) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto list, ctx.tracking.ListWorkspaces());
    json arr = json::array();
    for (const auto& w : list) {
      // Registries' asset workspaces are not workspaces to their users (docs/registries.md).
      if (!registries::IsRegistryWorkspace(w.name) && !assets::IsSharedWorkspace(w.name)) {
        arr.push_back(ToJson(w));
      }
    }
    return json{{"workspaces", std::move(arr)}};
  }());
}

http::Response GetWorkspace(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto ws, ctx.tracking.GetWorkspace(req.path_params["ws"]));
    return json{{"workspace", ToJson(ws)}};
  }());
}

http::Response DeleteWorkspace(ApiContext& ctx, http::Request& req) {
  const std::string& name = req.path_params["ws"];
  auto ws = ctx.tracking.GetWorkspace(name);
  if (!ws.ok()) return http::ErrorResponse(ws.status());
  // Its jobs stop first: nothing keeps running for a workspace that is gone.
  if (auto jobs = ctx.jobs.List(name, true); jobs.ok()) {
    for (const auto& j : *jobs) {
      if (!jobs::IsTerminal(j.status)) {
        (void)ctx.jobs.Cancel(name, j.name);
      }
    }
  }
  Status st = ctx.tracking.DeleteWorkspace(name);
  if (!st.ok()) return http::ErrorResponse(st);
  // Artifacts, job folders and cached role assignments of a deleted workspace go with it.
  (void)ctx.artifacts.Delete(std::to_string(ws->id));
  ctx.jobs.ForgetWorkspace(ws->id);
  ctx.auth.ForgetWorkspace(ws->id);
  return http::JsonResponse("{}");
}

}  // namespace mlws::api
