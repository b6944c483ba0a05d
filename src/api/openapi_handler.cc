// GET /api/v1/openapi.json: an OpenAPI 3.1 document generated from the route table and the
// schemas its rows carry, so it can never drift from what the server serves.
#include <regex>

#include "api/handlers.h"
#include "mlws/api/openapi_schema.h"
#include "mlws/api/routes.h"
#include "mlws/common/json.h"

namespace mlws::api {

using nlohmann::json;

namespace {

json Ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }

json Content(const std::string& media, const std::string& schema) {
  json body = schema.empty() ? json{{"type", "string"}, {"format", "binary"}} : Ref(schema);
  if (media == "text/plain" && schema.empty()) body = {{"type", "string"}};
  return {{media, {{"schema", body}}}};
}

// The request body, success response and query parameters the route's schema declares.
void AddBodies(const RouteSchema& s, json& op) {
  if (!s.request.empty()) {
    const json& req = ComponentSchemas().at(s.request);
    bool required = s.request_media != "application/json" ||
                    (req.contains("required") && !req["required"].empty());
    op["requestBody"] = {{"required", required}, {"content", Content(s.request_media, s.request)}};
  }
  op["responses"][std::to_string(s.status)] = {{"description", "Success"},
                                               {"content", Content(s.response_media, s.response)}};
  for (const auto& q : s.query) {
    op["parameters"].push_back(
        {{"name", q.name}, {"in", "query"}, {"required", false}, {"schema", {{"type", q.type}}}});
  }
}

json BuildDocument(const std::string& version) {
  json doc = {
      {"openapi", "3.1.0"},
      {"info",
       {{"title", "mlws"},
        {"version", version},
        {"description",
         "The mlws REST API (/api/v1) and the MLflow-compatible API (/api/2.0/mlflow, also under "
         "/ajax-api/2.0 and /workspaces/{workspace}/api/2.0). Every operation names the action "
         "it needs in x-mlws-action. /api/v1 operations declare their request and response "
         "bodies; MLflow operations follow MLflow's REST API reference."}}},
      {"components",
       {{"securitySchemes",
         {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
          {"basic", {{"type", "http"}, {"scheme", "basic"}}}}},
        {"schemas", ComponentSchemas()}}},
      {"security", json::array({{{"bearer", json::array()}}, {{"basic", json::array()}}})},
      {"paths", json::object()}};
  std::regex param(R"(\{([a-z_]+)(\.\.\.)?\})");
  for (const auto& r : RouteTable()) {
    std::string path = std::regex_replace(r.path, param, "{$1}");
    json params = json::array();
    for (std::sregex_iterator it(r.path.begin(), r.path.end(), param), end; it != end; ++it) {
      params.push_back({{"name", (*it)[1].str()},
                        {"in", "path"},
                        {"required", true},
                        {"schema", {{"type", "string"}}}});
    }
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    json op = {{"operationId", method + std::regex_replace(path, std::regex("[^A-Za-z0-9]+"), "_")},
               {"summary", r.action},
               {"x-mlws-action", r.action},
               {"parameters", params},
               {"responses",
                {{"default",
                  {{"description", "Error"},
                   {"content", {{"application/json", {{"schema", Ref("Error")}}}}}}}}}};
    if (r.schema != nullptr) {
      AddBodies(*r.schema, op);
    } else {
      op["responses"]["200"] = {{"description", "Success"}};
    }
    if (op["parameters"].empty()) op.erase("parameters");
    if (r.action == "server/health/read") op["security"] = json::array();
    doc["paths"][path][method] = std::move(op);
  }
  return doc;
}

}  // namespace

http::Response OpenApi(ApiContext& ctx, http::Request&) {
  static const std::string kDocument = DumpJson(BuildDocument(ctx.version), 2);
  return http::JsonResponse(kDocument);
}

}  // namespace mlws::api
