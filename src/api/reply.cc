#include "api/handlers.h"
#include "api/mlflow_json.h"

namespace mlws::api {

http::Response Reply(const StatusOr<nlohmann::json>& result) {
  if (!result.ok()) return http::ErrorResponse(result.status());
  return http::JsonResponse(Dump(*result));
}

http::Response Reply(const Status& status) {
  if (!status.ok()) return http::ErrorResponse(status);
  return http::JsonResponse("{}");
}

}  // namespace mlws::api
