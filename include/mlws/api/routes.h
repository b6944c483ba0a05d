// The route table of the whole server: every route with its method, path, permission and handler.
#pragma once

#include "mlws/artifacts/artifact_store.h"
#include "mlws/http/router.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::api {

struct ApiContext;

// Registers every route. `ctx` must outlive the router.
void RegisterRoutes(http::Router& router, ApiContext& ctx);

}  // namespace mlws::api
