// GET /api/v1/workspaces/{ws}/online-endpoints/{name}/stats?minutes=60: each deployment's
// scoring requests per minute over the last hour (serving::EndpointService::RecentStats), for
// the studio's endpoint charts.
#include <charconv>

#include "api/handlers.h"
#include "api/serving_json.h"

namespace mlws::api {

using nlohmann::json;

namespace {

json OrNull(const std::optional<double>& v) { return v ? json(*v) : json(); }

}  // namespace

http::Response GetOnlineEndpointStats(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    RETURN_IF_ERROR(ServingAvailable(ctx));
    int minutes = 60;
    if (auto m = req.Query("minutes")) {
      auto [p, ec] = std::from_chars(m->data(), m->data() + m->size(), minutes);
      if (ec != std::errc() || p != m->data() + m->size()) {
        return InvalidArgument("minutes must be an integer");
      }
    }
    const std::string& name = req.path_params["name"];
    ASSIGN_OR_RETURN(auto stats, ctx.endpoints->RecentStats(req.path_params["ws"], name, minutes));
    json deployments = json::array();
    for (const auto& d : stats) {
      json points = json::array();
      for (const auto& p : d.points) {
        points.push_back({{"time", p.time_ms},
                          {"requests", p.requests},
                          {"client_errors", p.client_errors},
                          {"server_errors", p.server_errors},
                          {"p50_ms", OrNull(p.p50)},
                          {"p90_ms", OrNull(p.p90)},
                          {"p99_ms", OrNull(p.p99)},
                          {"mean_ms", OrNull(p.mean)}});
      }
      deployments.push_back({{"name", d.deployment}, {"points", std::move(points)}});
    }
    return json{{"endpoint", name},
                {"bucket_seconds", 60},
                {"minutes", minutes},
                {"deployments", std::move(deployments)}};
  }());
}

}  // namespace mlws::api
