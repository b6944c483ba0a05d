// The request/response schema of each handler (openapi_schemas.cc): the route table attaches it
// to its rows, so a route and its schema cannot be declared apart.
#pragma once

#include "api/handlers.h"
#include "mlws/api/openapi_schema.h"

namespace mlws::api {

// The schema declared for routes served by `fn`, or nullptr when none is declared.
const RouteSchema* SchemaOf(HandlerFn fn);

}  // namespace mlws::api
