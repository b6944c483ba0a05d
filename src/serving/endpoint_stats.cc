// EndpointService::RecentStats: the per-minute counters the front door keeps (front_door.cc,
// minute_stats.h), read under the service's mutex; and their copy in the store, so the last hour
// survives a restart (written at most once a minute per deployment, and on shutdown).
#include <spdlog/spdlog.h>

#include "mlws/common/ids.h"
#include "serving/serving_state.h"

namespace mlws::serving {

namespace {
constexpr std::int64_t kStatsFlushMs = 60'000;
}  // namespace

void EndpointService::State::FlushStats(bool force) {
  struct Write {
    std::int64_t ws_id;
    std::string id;
    std::string doc;
  };
  std::lock_guard<std::mutex> order(stats_mu);
  std::vector<Write> writes;
  std::int64_t now = NowMillis();
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [ek, ep] : endpoints) {
      for (auto& [name, dep] : ep->deployments) {
        MinuteStats& m = dep->metrics.minutes;
        if (!dep->owned) continue;  // its owner's stats are the deployment's
        if (!m.dirty() || (!force && now - dep->stats_flushed_ms < kStatsFlushMs)) continue;
        writes.push_back({dep->ws_id, DeploymentId(ep->e.name, name), m.ToJson(now)});
        m.MarkClean();
        dep->stats_flushed_ms = now;
      }
    }
  }
  for (const Write& w : writes) {
    Status st = store.online_minute_stats().Put(w.ws_id, {w.id, now, w.doc});
    if (!st.ok()) spdlog::warn("cannot store the stats of deployment {}: {}", w.id, st.message());
  }
}

void EndpointService::State::RestoreStats(LiveDeployment& dep) {
  auto rec =
      store.online_minute_stats().Get(dep.ws_id, DeploymentId(dep.d.endpoint_name, dep.d.name));
  if (!rec.ok()) return;  // none stored yet
  Status st = dep.metrics.minutes.FromJson(rec->doc, NowMillis());
  if (!st.ok()) {
    spdlog::warn("stored stats of deployment {}/{} ignored: {}", dep.d.endpoint_name, dep.d.name,
                 st.message());
  }
}

void EndpointService::State::DeleteStats(std::int64_t ws_id, const std::string& endpoint,
                                         const std::string& name) {
  std::lock_guard<std::mutex> order(stats_mu);
  (void)store.online_minute_stats().Delete(ws_id, DeploymentId(endpoint, name));
}

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
