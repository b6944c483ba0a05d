// Several servers on one database: each online deployment is leased to the server that runs
// its instances (store/lease_store.h, docs/scale-out.md "Several servers on one database").
//
// The holder renews its leases every lease/3 from the monitor thread. The other servers mirror
// the deployment from the store (its spec, state and instance records) and score through the
// instances' sockets, so any server on the instances' host answers. When the holder's lease
// expires (or it is a dead server of this host) one other server wins the lease and takes the
// deployment over: it re-adopts the instances when they run on its host and starts them again
// from the stored spec otherwise.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "mlws/common/ids.h"
#include "mlws/common/json.h"
#include "mlws/jobs/resource_lease_holder.h"
#include "serving/serving_state.h"

namespace mlws::serving {

using nlohmann::json;

namespace {

constexpr const char* kKind = "deployment";

bool SameInstances(const OnlineDeployment& a, const OnlineDeployment& b) {
  if (a.instances.size() != b.instances.size()) return false;
  for (size_t i = 0; i < a.instances.size(); ++i) {
    if (a.instances[i].dir != b.instances[i].dir ||
        a.instances[i].process_pid != b.instances[i].process_pid ||
        a.instances[i].generation != b.instances[i].generation) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool EndpointService::State::ClaimDeployment(std::int64_t ws_id, const std::string& id) {
  return jobs::ResourceLeaseHolder(store, jobs, kKind).Claim(ws_id, id);
}

void EndpointService::State::ReleaseDeployment(std::int64_t ws_id, const std::string& id) {
  jobs::ResourceLeaseHolder(store, jobs, kKind).Release(ws_id, id);
}

std::string EndpointService::State::OtherHolder(std::int64_t ws_id, const std::string& id) {
  return jobs::ResourceLeaseHolder(store, jobs, kKind).OtherHolder(ws_id, id);
}

void EndpointService::State::SyncFromStore() {
  if (!jobs::ResourceLeaseHolder(store, jobs, kKind).Shared()) return;  // memory is the truth
  struct Loaded {
    std::int64_t ws_id;
    std::string ws;
    std::vector<OnlineEndpoint> endpoints;
    std::vector<OnlineDeployment> deployments;
  };
  std::lock_guard<std::mutex> one_at_a_time(sync_mu);  // a later snapshot never loses to an older
  auto workspaces = tracking.ListWorkspaces();
  if (!workspaces.ok()) return;
  std::vector<Loaded> loaded;
  for (const auto& w : *workspaces) {
    auto eps = store.online_endpoints().List(w.id);
    auto deps = store.online_deployments().List(w.id);
    if (!eps.ok() || !deps.ok()) return;  // try again on the next round
    Loaded l{w.id, w.name, {}, {}};
    for (const auto& rec : *eps) {
      auto e = EndpointFromJson(json::parse(rec.doc, nullptr, false));
      if (e.ok()) l.endpoints.push_back(std::move(*e));
    }
    for (const auto& rec : *deps) {
      auto d = DeploymentFromJson(json::parse(rec.doc, nullptr, false));
      if (d.ok()) l.deployments.push_back(std::move(*d));
    }
    loaded.push_back(std::move(l));
  }
  std::vector<std::pair<std::int64_t, std::string>> vanished;  // endpoints: ws id, name
  std::unique_lock<std::mutex> lock(mu);
  if (stopping) return;
  for (auto& l : loaded) {
    std::set<std::string> in_store;  // endpoint keys, and "<endpoint key>/<deployment>"
    for (auto& e : l.endpoints) {
      std::string key = EndpointKey(l.ws_id, e.name);
      in_store.insert(key);
      auto it = endpoints.find(key);
      if (it == endpoints.end()) {
        auto live = std::make_shared<LiveEndpoint>();
        live->e = std::move(e);
        live->ws_id = l.ws_id;
        live->ws = l.ws;
        endpoints[key] = live;
      } else if (e.updated_ms > it->second->e.updated_ms) {
        it->second->e = std::move(e);  // traffic, keys or settings changed through another server
        it->second->swrr_current.clear();
      }
    }
    for (auto& d : l.deployments) {
      std::string key = EndpointKey(l.ws_id, d.endpoint_name);
      auto ep = endpoints.find(key);
      if (ep == endpoints.end()) continue;
      in_store.insert(key + "/" + d.name);
      auto it = ep->second->deployments.find(d.name);
      if (it == ep->second->deployments.end()) {
        auto live = std::make_shared<LiveDeployment>();
        live->d = std::move(d);
        live->ws_id = l.ws_id;
        live->ws = l.ws;
        live->owned = false;
        AttachRemote(*live);
        ep->second->deployments[live->d.name] = live;
        cv.notify_all();
      } else if (!it->second->owned) {
        LiveDeployment& dep = *it->second;
        bool reattach = !SameInstances(dep.d, d);
        dep.d = std::move(d);
        if (reattach) AttachRemote(dep);
      }
    }
    // Gone from the store: another server deleted them. Only mirrored deployments go here (an
    // own deployment is deleted by this server); endpoints once confirmed below.
    for (auto& [key, ep] : endpoints) {
      if (ep->ws_id != l.ws_id) continue;
      std::erase_if(ep->deployments, [&](const auto& kv) {
        bool gone = !kv.second->owned && !in_store.count(key + "/" + kv.first);
        if (gone) kv.second->d.provisioning_state = "Deleting";
        return gone;
      });
      if (!in_store.count(key) && ep->deployments.empty())
        vanished.emplace_back(l.ws_id, ep->e.name);
    }
  }
  lock.unlock();
  // An endpoint created here after the snapshot was read is in the store by now (it is stored
  // before it enters the map): only those still absent were deleted elsewhere.
  for (const auto& [ws_id, name] : vanished) {
    auto rec = store.online_endpoints().Get(ws_id, name);
    if (rec.ok() || rec.status().code() != ErrorCode::kResourceDoesNotExist) continue;
    lock.lock();
    auto it = endpoints.find(EndpointKey(ws_id, name));
    if (it != endpoints.end() && it->second->deployments.empty()) endpoints.erase(it);
    lock.unlock();
  }
}

void EndpointService::State::SyncIfUnknown(std::int64_t ws_id, const std::string& endpoint,
                                           const std::string& deployment) {
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = endpoints.find(EndpointKey(ws_id, endpoint));
    if (it != endpoints.end() &&
        (deployment.empty() || it->second->deployments.count(deployment) > 0)) {
      return;
    }
  }
  SyncFromStore();
}

void EndpointService::State::LeaseRound() {
  jobs::ResourceLeaseHolder leases(store, jobs, kKind);
  if (!leases.Shared()) return;
  std::int64_t now = NowMillis();
  if (now - lease_round_ms < std::max<std::int64_t>(50, jobs.LeaseMs() / 3)) return;
  lease_round_ms = now;
  Status st = leases.RenewAll();
  if (!st.ok()) {
    spdlog::warn("cannot renew the deployment leases of server {}: {}", jobs.server_id(),
                 st.message());
    return;
  }
  SyncFromStore();
  std::vector<std::shared_ptr<LiveDeployment>> mirrored;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [ek, ep] : endpoints) {
      for (auto& [name, dep] : ep->deployments) {
        if (!dep->owned) mirrored.push_back(dep);
      }
    }
  }
  for (auto& dep : mirrored) {
    std::string id = DeploymentId(dep->d.endpoint_name, dep->d.name);
    std::string holder;
    if (!leases.Free(dep->ws_id, id, &holder) || !leases.Claim(dep->ws_id, id)) continue;
    std::lock_guard<std::mutex> lock(mu);
    if (stopping) return;
    if (dep->owned || dep->d.provisioning_state == "Deleting") {
      if (!dep->owned) ReleaseDeployment(dep->ws_id, id);
      continue;
    }
    TakeOver(dep, holder);
  }
}

}  // namespace mlws::serving
