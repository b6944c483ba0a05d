// registries_handler.cc: /api/v1/registries and the registry asset routes.
#pragma once

#include "api/handlers.h"

namespace mlws::api {

http::Response CreateRegistry(ApiContext&, http::Request&);
http::Response ListRegistries(ApiContext&, http::Request&);
http::Response GetRegistry(ApiContext&, http::Request&);
http::Response DeleteRegistry(ApiContext&, http::Request&);
// POST /api/v1/registries/{reg}/<collection>[?from_workspace=ws]: files named by the spec that
// lie in `ws` (the CLI uploads there) are copied into the registry.
http::Response CreateRegistryAsset(ApiContext&, http::Request&);
// POST /api/v1/workspaces/{ws}/<collection>/{name}/versions/{version}/share
http::Response ShareAsset(ApiContext&, http::Request&);

// Runs a workspace asset handler on registry {reg}'s asset workspace.
http::Response InRegistryWorkspace(ApiContext& ctx, http::Request& req, HandlerFn fn);
template <HandlerFn F>
http::Response InRegistry(ApiContext& ctx, http::Request& req) {
  return InRegistryWorkspace(ctx, req, F);
}

}  // namespace mlws::api
