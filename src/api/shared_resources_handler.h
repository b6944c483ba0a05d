// shared_resources_handler.cc: /api/v1/shared/... (docs/shared-resources.md): server-scope
// computes and datastores, their grants to workspaces, and the shared vault their credentials
// live in.
#pragma once

#include "api/handlers.h"

namespace mlws::api {

// Runs a workspace handler on the shared workspace (created on first use).
http::Response InSharedWorkspace(ApiContext& ctx, http::Request& req, HandlerFn fn);
template <HandlerFn F>
http::Response InShared(ApiContext& ctx, http::Request& req) {
  return InSharedWorkspace(ctx, req, F);
}

http::Response CreateSharedCompute(ApiContext&, http::Request&);

// A workspace list, show or delete handler (F) run on the shared workspace: lists and shows
// leave out the built-ins and add each resource's grants; a delete also revokes every grant and
// refuses a datastore that a queued or running job names.
http::Response ListSharedWith(ApiContext& ctx, http::Request& req, HandlerFn list);
http::Response GetSharedWith(ApiContext& ctx, http::Request& req, HandlerFn get);
http::Response DeleteSharedWith(ApiContext& ctx, http::Request& req, HandlerFn del);
template <HandlerFn F>
http::Response ListShared(ApiContext& ctx, http::Request& req) {
  return ListSharedWith(ctx, req, F);
}
template <HandlerFn F>
http::Response GetShared(ApiContext& ctx, http::Request& req) {
  return GetSharedWith(ctx, req, F);
}
template <HandlerFn F>
http::Response DeleteShared(ApiContext& ctx, http::Request& req) {
  return DeleteSharedWith(ctx, req, F);
}
// .../{name}/grants[/{workspace}]: the kind is read from the path.
http::Response ListSharedGrants(ApiContext&, http::Request&);
http::Response GrantShared(ApiContext&, http::Request&);
http::Response RevokeShared(ApiContext&, http::Request&);

}  // namespace mlws::api
