// GET /api/v1/openapi.json: an OpenAPI 3.0 document generated from the route table, so it can
// never drift from what the server serves.
#include <regex>

#include "api/handlers.h"
#include "mlws/api/routes.h"
#include "mlws/common/json.h"

namespace mlws::api {

using nlohmann::json;

namespace {

json BuildDocument(const std::string& version) {
  json error = {
      {"type", "object"},
      {"properties", {{"error_code", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}};
  json doc = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "mlws"},
        {"version", version},
        {"description",
         "The mlws REST API (/api/v1) and the MLflow-compatible API (/api/2.0/mlflow, also under "
         "/ajax-api/2.0 and /workspaces/{workspace}/api/2.0). Every operation names the action "
         "it needs in x-mlws-action."}}},
      {"components",
       {{"securitySchemes",
         {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
          {"basic", {{"type", "http"}, {"scheme", "basic"}}}}},
        {"schemas", {{"Error", error}}}}},
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
    json op = {
        {"operationId", method + std::regex_replace(path, std::regex("[^A-Za-z0-9]+"), "_")},
        {"summary", r.action},
        {"x-mlws-action", r.action},
        {"responses",
         {{"200", {{"description", "Success"}}},
          {"default",
           {{"description", "Error"},
            {"content",
             {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}}}}};
    if (!params.empty()) op["parameters"] = params;
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
