// The route table of the whole server: every route with its method, path, permission and handler.
#pragma once

#include <string>
#include <vector>

#include "mlws/api/openapi_schema.h"
#include "mlws/artifacts/artifact_store.h"
#include "mlws/http/router.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::api {

struct ApiContext;
class BrowserSafety;

// Registers every route, each with an admission hook (browser safety when `safety` is given,
// authentication, authorization) that the server runs before reading the body. `ctx` and
// `safety` must outlive the router.
void RegisterRoutes(http::Router& router, ApiContext& ctx, const BrowserSafety* safety = nullptr);

// The table itself (method, path as served, action), for tests and documentation.
struct RouteInfo {
  std::string method;
  std::string path;
  std::string action;
  // The bodies the route reads and renders; nullptr when not declared (every /api/v1 route
  // declares one: tests/api/route_table_test.cc).
  const RouteSchema* schema = nullptr;
};
std::vector<RouteInfo> RouteTable();

}  // namespace mlws::api
