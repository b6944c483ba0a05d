// EndpointService::RecentStats: the per-minute counters the front door keeps (front_door.cc,
// minute_stats.h), read under the service's mutex.
#include "mlws/common/ids.h"
#include "serving/serving_state.h"

namespace mlws::serving {

StatusOr<std::vector<EndpointService::DeploymentMinutes>> EndpointService::RecentStats(
    const std::string& ws, const std::string& endpoint, int minutes) {
  if (minutes < 1 || minutes > MinuteStats::kMinutes) {
    return InvalidArgument("minutes must be within 1..60");
  }
  ASSIGN_OR_RETURN(std::int64_t ws_id, s_->tracking.WorkspaceId(ws));
  std::int64_t now = NowMillis();
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(std::shared_ptr<LiveEndpoint> ep, s_->FindEndpoint(ws_id, endpoint));
  std::vector<DeploymentMinutes> out;
  for (const auto& [name, dep] : ep->deployments) {
    out.push_back({name, dep->metrics.minutes.Last(now, minutes)});
  }
  return out;
}

}  // namespace mlws::serving
