// Rendering of online endpoints and deployments for the REST API, shared by
// online_endpoints_handler.cc and online_deployments_handler.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "api/api_context.h"
#include "mlws/http/request.h"
#include "mlws/jobs/job.h"
#include "mlws/serving/online_spec.h"

namespace mlws::api {

// The endpoint without its keys, with its scoring URI.
nlohmann::json OnlineEndpointJson(ApiContext& ctx, const std::string& ws,
                                  const serving::OnlineEndpoint& e);
// The deployment without host paths.
nlohmann::json OnlineDeploymentJson(const serving::OnlineDeployment& d);
// The request body as a JSON object (BadRequest otherwise).
StatusOr<nlohmann::json> ServingBody(const http::Request& req);
// 503 when the server runs without the endpoint service.
Status ServingAvailable(ApiContext& ctx);
// A job as the jobs API renders it (jobs_handler.cc): batch invokes answer with their job.
nlohmann::json JobJson(const jobs::Job& j);

}  // namespace mlws::api
