// The declared shape of a route: the JSON body it decodes and the body it renders on success,
// as JSON Schema (2020-12, the dialect OpenAPI 3.1 uses) components. The route table carries one
// per /api/v1 route (RouteInfo::schema); GET /api/v1/openapi.json emits them, the studio's
// TypeScript types are generated from that document, and tests validate real responses against
// it. Immutable after static initialisation; safe to read from any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mlws::api {

struct QueryParam {
  std::string name;
  std::string type;  // JSON Schema type: "string" | "integer" | "boolean"
};

struct RouteSchema {
  // Component name of the request body; "" = the route reads no body.
  std::string request;
  std::string request_media = "application/json";
  // Component name of the success body; "" = an untyped (binary or text) body.
  std::string response;
  std::string response_media = "application/json";
  int status = 200;  // the success status
  std::vector<QueryParam> query;
};

// Every component schema routes name, keyed by name ("Workspace", "Job", "Error", ...).
const nlohmann::json& ComponentSchemas();

}  // namespace mlws::api
