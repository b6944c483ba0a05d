// /api/v1/shared/...: server-scope computes and datastores (docs/shared-resources.md). They are
// the shared workspace's computes and datastores, so the workspace handlers serve them; this file
// adds grants, hides the workspace's built-ins, and keeps resources in use from being deleted.
#include "api/shared_resources_handler.h"

#include <fmt/format.h>

#include "mlws/assets/shared_resources.h"
#include "mlws/jobs/job_service.h"

namespace mlws::api {

using assets::SharedKind;
using nlohmann::json;

namespace {

constexpr const char* kBuiltinCompute = "local";
constexpr const char* kBuiltinDatastore = "workspaceblobstore";

SharedKind KindOf(const http::Request& req) {
  return req.path.find("/shared/computes") != std::string::npos ? SharedKind::kCompute
                                                                : SharedKind::kDatastore;
}

const std::string& Name(http::Request& req) { return req.path_params["name"]; }

assets::SharedResources& Shared(ApiContext& ctx) { return *ctx.shared; }

Status NotWired() {
  return Status(ErrorCode::kTemporarilyUnavailable, "Shared resources are not served here.");
}

Status NoShared(SharedKind kind, const std::string& name) {
  return NotFound(fmt::format("Shared {} '{}' not found.", assets::SharedKindName(kind), name));
}

// The workspace's built-in compute and datastore are not shared resources.
bool Builtin(SharedKind kind, const std::string& name) {
  return name == (kind == SharedKind::kCompute ? kBuiltinCompute : kBuiltinDatastore);
}

json GrantsJson(ApiContext& ctx, SharedKind kind, const std::string& name) {
  json arr = json::array();
  auto grants = Shared(ctx).Grants(kind, name);
  if (!grants.ok()) return arr;
  for (const auto& g : *grants) {
    arr.push_back(
        {{"workspace", g.workspace}, {"granted_by", g.granted_by}, {"granted_at", g.granted_at}});
  }
  return arr;
}

// A shared list: the workspace handler's, less the built-ins, each with whom it is granted to.
}  // namespace

http::Response ListSharedWith(ApiContext& ctx, http::Request& req, HandlerFn list) {
  http::Response r = InSharedWorkspace(ctx, req, list);
  if (r.status != 200) return r;
  json body = json::parse(r.body, nullptr, false);
  if (!body.is_object() || !body["value"].is_array()) return r;
  SharedKind kind = KindOf(req);
  json out = json::array();
  for (auto& item : body["value"]) {
    std::string name = item.value("name", "");
    if (Builtin(kind, name)) continue;
    item["shared"] = true;
    item["granted_to"] = GrantsJson(ctx, kind, name);
    out.push_back(std::move(item));
  }
  return Reply(json{{"value", std::move(out)}});
}

// One shared resource, with its grants.
http::Response GetSharedWith(ApiContext& ctx, http::Request& req, HandlerFn get) {
  SharedKind kind = KindOf(req);
  if (Builtin(kind, Name(req))) return Reply(NoShared(kind, Name(req)));
  http::Response r = InSharedWorkspace(ctx, req, get);
  if (r.status != 200) return r;
  json body = json::parse(r.body, nullptr, false);
  if (!body.is_object()) return r;
  body["shared"] = true;
  body["granted_to"] = GrantsJson(ctx, kind, Name(req));
  return Reply(body);
}

namespace {

// A queued or running job of a workspace the datastore is granted to that names it.
StatusOr<std::string> JobUsing(ApiContext& ctx, const std::string& datastore) {
  ASSIGN_OR_RETURN(auto grants, Shared(ctx).Grants(SharedKind::kDatastore, datastore));
  const std::string needle = "azureml://datastores/" + datastore + "/";
  for (const auto& g : grants) {
    ASSIGN_OR_RETURN(auto jobs, ctx.jobs.List(g.workspace, false));
    for (const auto& j : jobs) {
      bool active = j.status == jobs::JobStatus::kQueued || j.status == jobs::JobStatus::kRunning;
      if (active && j.spec_json.find(needle) != std::string::npos) {
        return g.workspace + "/" + j.name;
      }
    }
  }
  return std::string();
}

}  // namespace

http::Response DeleteSharedWith(ApiContext& ctx, http::Request& req, HandlerFn del) {
  if (ctx.shared == nullptr) return Reply(NotWired());
  SharedKind kind = KindOf(req);
  const std::string name = Name(req);
  if (Builtin(kind, name)) return Reply(NoShared(kind, name));
  if (kind == SharedKind::kDatastore) {
    // Jobs on a shared compute hold it through the compute's own check (DeleteCompute).
    auto job = JobUsing(ctx, name);
    if (job.ok() && !job->empty()) {
      return Reply(Status(ErrorCode::kResourceConflict,
                          fmt::format("Shared datastore '{}' is used by job '{}', which is "
                                      "queued or running: cancel it or let it end first.",
                                      name, *job)));
    }
  }
  http::Response r = InSharedWorkspace(ctx, req, del);
  if (r.status == 200) (void)Shared(ctx).ForgetResource(kind, name);
  return r;
}

http::Response InSharedWorkspace(ApiContext& ctx, http::Request& req, HandlerFn fn) {
  if (ctx.shared == nullptr) return Reply(NotWired());
  auto id = Shared(ctx).EnsureWorkspace();
  if (!id.ok()) return Reply(id.status());
  req.path_params["ws"] = std::string(assets::kSharedWorkspace);
  return fn(ctx, req);
}

http::Response CreateSharedCompute(ApiContext& ctx, http::Request& req) {
  json body = json::parse(req.body, nullptr, false);
  auto text = [&body](const char* key) {
    return body.is_object() && body.contains(key) && body[key].is_string()
               ? body[key].get<std::string>()
               : std::string();
  };
  if (text("type") == "computeinstance") {
    return Reply(InvalidArgument(
        "A compute instance is personal: create it in a workspace, not as a shared compute."));
  }
  if (text("name") == kBuiltinCompute) {
    return Reply(
        InvalidArgument("'local' is every workspace's built-in compute: name the shared "
                        "compute otherwise."));
  }
  return InSharedWorkspace(ctx, req, CreateCompute);
}

http::Response ListSharedGrants(ApiContext& ctx, http::Request& req) {
  if (ctx.shared == nullptr) return Reply(NotWired());
  SharedKind kind = KindOf(req);
  if (Builtin(kind, Name(req))) return Reply(NoShared(kind, Name(req)));
  return Reply([&]() -> StatusOr<json> {
    auto grants = Shared(ctx).Grants(kind, Name(req));
    if (!grants.ok() && grants.status().code() == ErrorCode::kResourceDoesNotExist) {
      return NoShared(kind, Name(req));
    }
    RETURN_IF_ERROR(grants.status());
    return json{{"value", GrantsJson(ctx, kind, Name(req))}};
  }());
}

http::Response GrantShared(ApiContext& ctx, http::Request& req) {
  if (ctx.shared == nullptr) return Reply(NotWired());
  SharedKind kind = KindOf(req);
  if (Builtin(kind, Name(req))) return Reply(NoShared(kind, Name(req)));
  const std::string& ws = req.path_params["workspace"];
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(Shared(ctx).Grant(kind, Name(req), ws, req.user));
    return json{{"name", Name(req)}, {"workspace", ws}, {"granted", true}};
  }());
}

http::Response RevokeShared(ApiContext& ctx, http::Request& req) {
  if (ctx.shared == nullptr) return Reply(NotWired());
  SharedKind kind = KindOf(req);
  if (Builtin(kind, Name(req))) return Reply(NoShared(kind, Name(req)));
  return Reply(Shared(ctx).Revoke(kind, Name(req), req.path_params["workspace"]));
}

}  // namespace mlws::api
