#include "api/serving_json.h"

namespace mlws::api {

using nlohmann::json;

json OnlineEndpointJson(ApiContext& ctx, const std::string& ws, const serving::OnlineEndpoint& e) {
  json j = serving::EndpointToJson(e);
  j.erase("primary_key");
  j.erase("secondary_key");
  j["kind"] = "Managed";
  j["provisioning_state"] = "Succeeded";
  j["scoring_uri"] = ctx.endpoints->ScoringUri(ws, e.name);
  return j;
}

json OnlineDeploymentJson(const serving::OnlineDeployment& d) {
  json j = serving::DeploymentToJson(d);
  for (const char* k : {"model_local", "code_local", "env_bin_dir"}) j.erase(k);
  json instances = json::array();
  for (const auto& i : d.instances) {
    instances.push_back({{"index", i.index}, {"generation", i.generation}});
  }
  j["instances"] = instances;
  return j;
}

StatusOr<json> ServingBody(const http::Request& req) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return BadRequest("The request body is not valid JSON.");
  if (!body.is_object()) return BadRequest("The request body must be a JSON object.");
  return body;
}

Status ServingAvailable(ApiContext& ctx) {
  if (ctx.endpoints != nullptr) return Status::Ok();
  return Status(ErrorCode::kTemporarilyUnavailable, "online endpoints are not served here");
}

}  // namespace mlws::api
