// Several servers on one database (docs/scale-out.md "Several servers on one database"): each
// running compute instance is leased to the server that supervises its lab
// (store/lease_store.h, kind "compute_instance"). The store is the truth: every server reads
// the instances from it (on each API call and every lease/3 from the monitor), so an instance
// created through one server is known to all. Start, stop, restart and delete work through any
// server: one that does not run the lab records the request (migration 19) and the holder carries
// it out from its monitor within a second. When the holder's lease expires (or it is a dead
// server of this host) another server wins the lease and takes the instance over: it re-adopts
// the lab when it runs on its host and starts it again from the stored spec otherwise.
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "compute_instances/instance_state.h"
#include "mlws/common/ids.h"
#include "mlws/common/json.h"
#include "mlws/store/compute_instance_requests.h"

namespace mlws::compute_instances {

using nlohmann::json;

namespace {
constexpr int kRequestPollMs = 200;
}  // namespace

std::shared_ptr<Live> ComputeInstanceService::State::FromRow(std::int64_t ws_id,
                                                             const std::string& ws,
                                                             const jobs::Compute& c,
                                                             std::int64_t now) {
  if (c.type != "computeinstance") return nullptr;
  json doc = json::parse(c.spec_json, nullptr, false);
  if (!doc.is_object()) return nullptr;
  auto l = std::make_shared<Live>();
  l->ws_id = ws_id;
  l->ws = ws;
  l->row = c;
  l->user_spec = doc.value("spec", json::object());
  auto spec = ParseInstanceSpec(l->user_spec, now);
  if (!spec.ok()) {
    spdlog::warn("compute instance {}/{}: stored spec no longer valid: {}", ws, c.name,
                 spec.status().message());
    return nullptr;
  }
  l->spec = *spec;
  l->owner = doc.value("owner", "");
  l->owner_id = doc.value("owner_id", std::int64_t{0});
  l->state = doc.value("state", "Stopped");
  l->error = doc.value("error", "");
  l->last_stop_reason = doc.value("last_stop_reason", "");
  l->started_at = doc.value("started_at", std::int64_t{0});
  l->dir = doc.value("dir", "");
  l->port = doc.value("port", 0);
  l->lab_token = doc.value("lab_token", "");
  l->mlflow_token_id = doc.value("mlflow_token_id", std::int64_t{0});
  json proc = doc.value("process", json::object());
  l->handle.supervisor_pid = proc.value("supervisor_pid", std::int64_t{0});
  l->handle.supervisor_start = proc.value("supervisor_start", std::int64_t{0});
  l->handle.process_pid = proc.value("process_pid", std::int64_t{0});
  ComputeFires(*l, now);
  return l;
}

Status ComputeInstanceService::State::Refresh(const std::string& ws) {
  if (!leases.Shared()) return Status::Ok();  // one server: memory is the truth
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking.WorkspaceId(ws));
  return RefreshWorkspace(ws_id, ws);
}

Status ComputeInstanceService::State::RefreshWorkspace(std::int64_t ws_id, const std::string& ws) {
  if (!leases.Shared()) return Status::Ok();
  std::uint64_t deletions_before = deletions.load();
  ASSIGN_OR_RETURN(auto rows, store.jobs().ListComputes(ws_id));
  std::int64_t now = NowMillis();
  std::map<std::string, std::shared_ptr<Live>> fresh;
  for (const auto& c : rows) {
    if (auto l = FromRow(ws_id, ws, c, now)) fresh[Key(ws_id, c.name)] = l;
  }
  std::lock_guard<std::mutex> lock(mu);
  for (auto it = live.begin(); it != live.end();) {
    // An instance this server runs: its memory is the truth (it writes every change).
    if (it->second->ws_id != ws_id || it->second->owned) {
      ++it;
      continue;
    }
    auto f = fresh.find(it->first);
    if (f == fresh.end()) {
      it = live.erase(it);  // deleted through another server
      continue;
    }
    // The schedules keep their next fire times (a fresh row would move them past now).
    if (f->second->next_fire.size() == it->second->next_fire.size()) {
      f->second->next_fire = it->second->next_fire;
    }
    it->second = f->second;
    ++it;
  }
  // An instance deleted here after the rows were read would come back: new ones wait for the
  // next refresh then.
  if (deletions.load() != deletions_before) return Status::Ok();
  for (auto& [k, l] : fresh) {
    if (!live.contains(k)) live[k] = l;
  }
  return Status::Ok();
}

StatusOr<bool> ComputeInstanceService::State::Own(Live& l, const std::string& action) {
  if (l.owned) return true;
  std::string holder;
  if (!leases.Free(l.ws_id, l.row.name, &holder)) {
    if (holder.empty()) {
      return Status(ErrorCode::kTemporarilyUnavailable,
                    fmt::format("Cannot read which server runs compute instance '{}'; try again.",
                                l.row.name));
    }
    if (!action.empty()) RETURN_IF_ERROR(Ask(l, action, holder));
    return false;
  }
  if (!IsLiveState(l.state)) return true;  // stopped: no lease until it starts (StartLocked)
  if (!leases.Claim(l.ws_id, l.row.name)) {
    return Status(ErrorCode::kResourceConflict,
                  fmt::format("Compute instance '{}' is being taken over by another server; try "
                              "again in a moment.",
                              l.row.name));
  }
  TakeOver(l, holder);
  return true;
}

void ComputeInstanceService::State::TakeOver(Live& l, const std::string& holder) {
  bool same_host = holder.empty() || jobs::JobService::HostOfServer(holder) == jobs.host();
  l.owned = true;
  std::int64_t now = NowMillis();
  // The row as its last holder left it (it writes before it releases): a lab stopped since this
  // server last read it is not taken over.
  if (auto row = store.jobs().GetCompute(l.ws_id, l.row.name); row.ok()) {
    if (auto stored = FromRow(l.ws_id, l.ws, *row, now)) {
      l.row = stored->row;
      l.state = stored->state;
      l.error = stored->error;
      l.last_stop_reason = stored->last_stop_reason;
      l.started_at = stored->started_at;
      l.dir = stored->dir;
      l.port = stored->port;
      l.lab_token = stored->lab_token;
      l.mlflow_token_id = stored->mlflow_token_id;
      l.handle = stored->handle;
    }
  }
  if (!IsLiveState(l.state)) {
    Settle(l);
    return;
  }
  if (holder != jobs.server_id()) {
    spdlog::warn("compute instance {}/{}: taking it over from server {} (its lease expired); {}",
                 l.ws, l.row.name, holder.empty() ? "?" : holder,
                 same_host ? "re-adopting its lab" : "starting its lab again here");
  }
  if (same_host && l.handle.supervisor_pid != 0) {
    // Running again once its lab answers; its exit (if it ended meanwhile) arrives through the
    // executor and makes it Stopped.
    l.key = fmt::format("{}#{}", l.dir, ++launch_seq);
    if (l.state != "Stopping") l.state = "Starting";
    l.started_at = now;
    l.stop_sent_at = l.state == "Stopping" ? now : 0;
    // On a blob store its files are written back as if this server had started it.
    auto at = assets.Locate(l.ws, l.FilesUri());
    if (at.ok() && at->remote()) {
      l.remote_files = *at;
      l.next_sync = now + kFileSyncMs;
    }
    executor->Adopt(l.key, l.handle, l.dir + "/exit");
    (void)Persist(l);
    return;
  }
  bool was_stopping = l.state == "Stopping";
  l.key.clear();
  l.handle = jobs::ProcessHandle{};
  RevokeToken(l);  // the lost lab's
  l.state = "Stopped";
  if (same_host || was_stopping) {
    // No process was recorded (same host), or it was being stopped anyway.
    l.last_stop_reason = same_host ? "server restart" : "stop";
    (void)Persist(l);
    Settle(l);
    return;
  }
  // Its lab ran where this server cannot see: the same spec, started here.
  l.dir.clear();
  l.last_stop_reason = "server lost";
  auto started = StartLocked(l, "takeover from " + holder);
  if (!started.ok()) {
    spdlog::warn("compute instance {}/{}: cannot start it again here: {}", l.ws, l.row.name,
                 started.status().message());
  }
}

void ComputeInstanceService::State::Settle(Live& l) {
  if (!l.owned || IsLiveState(l.state)) return;
  leases.Release(l.ws_id, l.row.name);
  l.owned = false;
}

void ComputeInstanceService::State::DropRequest(const Live& l) {
  store::DocumentStore* requests = store::ComputeInstanceRequestsOf(store);
  if (!leases.Shared() || requests == nullptr) return;
  Status st = requests->Delete(l.ws_id, l.row.name);
  if (!st.ok() && st.code() != ErrorCode::kResourceDoesNotExist) {
    spdlog::warn("compute instance {}/{}: cannot drop its request: {}", l.ws, l.row.name,
                 st.message());
  }
}

Status ComputeInstanceService::State::Ask(const Live& l, const std::string& action,
                                          const std::string& holder) {
  store::DocumentStore* found = store::ComputeInstanceRequestsOf(store);
  if (found == nullptr) {
    return Status(ErrorCode::kTemporarilyUnavailable,
                  fmt::format("Compute instance '{}' runs on server {}; this store cannot pass "
                              "requests to it: ask that server.",
                              l.row.name, holder));
  }
  store::DocumentStore& requests = *found;
  std::int64_t now = NowMillis();
  json entry = {{"action", action}, {"by", leases.server_id()}, {"at", now}};
  Status st = requests.Update(
      l.ws_id, l.row.name, [&](const store::DocumentRecord& r) -> StatusOr<std::string> {
        json doc = json::parse(r.doc, nullptr, false);
        if (!doc.is_object() || !doc.contains("actions") || !doc["actions"].is_array()) {
          doc = {{"actions", json::array()}};
        }
        doc["actions"].push_back(entry);
        return DumpJson(doc);
      });
  if (st.code() == ErrorCode::kResourceDoesNotExist) {
    st =
        requests.Put(l.ws_id, {l.row.name, now, DumpJson(json{{"actions", json::array({entry})}})});
  }
  if (!st.ok()) return st;
  spdlog::info("compute instance {}/{}: {} sent to server {}, which runs it", l.ws, l.row.name,
               action, holder);
  return Status::Ok();
}

InstanceView ComputeInstanceService::State::Requested(const Live& l,
                                                      const std::string& action) const {
  InstanceView v = View(l);
  if (action != "start" && IsLiveState(v.state)) v.state = "Stopping";
  return v;
}

std::string ComputeInstanceService::State::RemoteLab(const Live& l) {
  std::string holder = leases.OtherHolder(l.ws_id, l.row.name);
  if (holder.empty() || jobs::JobService::HostOfServer(holder) == jobs.host()) return "";
  std::string url;
  if (auto servers = store.leases().ListServers(); servers.ok()) {
    for (const auto& s : *servers) {
      if (s.id == holder) url = s.url;
    }
  }
  return fmt::format(
      "Compute instance '{}' runs on server {} (another host); open its lab through that "
      "server{}.",
      l.row.name, holder, url.empty() ? "" : " at " + url + l.BasePath());
}

void ComputeInstanceService::State::LeaseRound(std::unique_lock<std::mutex>& lock) {
  if (!leases.Shared()) return;
  std::int64_t now = NowMillis();
  if (now - lease_round_ms < std::max<std::int64_t>(50, jobs.LeaseMs() / 3)) return;
  lease_round_ms = now;
  std::vector<std::shared_ptr<Live>> own;
  for (auto& [k, l] : live) {
    if (l->owned) own.push_back(l);
  }
  lock.unlock();
  Status st = leases.RenewAll();
  if (!st.ok()) {
    spdlog::warn("cannot renew the compute instance leases of server {}: {}", leases.server_id(),
                 st.message());
  }
  // A lease this server failed to renew in time may have gone to another server: that one
  // supervises the lab now.
  std::vector<std::pair<std::shared_ptr<Live>, std::string>> lost;
  for (auto& lp : own) {
    std::string other = leases.OtherHolder(lp->ws_id, lp->row.name);
    if (!other.empty()) lost.emplace_back(lp, other);
  }
  if (auto workspaces = tracking.ListWorkspaces(); workspaces.ok()) {
    for (const auto& w : *workspaces) (void)RefreshWorkspace(w.id, w.name);
  }
  lock.lock();
  if (stopping) return;
  for (auto& [lp, other] : lost) {
    if (!lp->owned) continue;
    bool same_host = jobs::JobService::HostOfServer(other) == jobs.host();
    spdlog::warn("compute instance {}/{}: server {} holds its lease now; {}", lp->ws, lp->row.name,
                 other, same_host ? "leaving the lab to it" : "stopping the lab here");
    if (!same_host) executor->Signal(lp->handle, SIGTERM);
    lp->owned = false;
    lp->key.clear();  // its exit is no longer this server's to record
  }
  std::vector<std::shared_ptr<Live>> orphans;
  for (auto& [k, l] : live) {
    if (!l->owned && IsLiveState(l->state)) orphans.push_back(l);
  }
  for (auto& lp : orphans) {
    std::string holder;
    if (!leases.Free(lp->ws_id, lp->row.name, &holder)) continue;
    if (!leases.Claim(lp->ws_id, lp->row.name) || lp->owned) continue;
    TakeOver(*lp, holder);
  }
}

void ComputeInstanceService::State::CarryOutRequests() {
  store::DocumentStore* found = store::ComputeInstanceRequestsOf(store);
  if (!leases.Shared() || found == nullptr) return;
  std::int64_t now = NowMillis();
  if (now - requests_ms < kRequestPollMs) return;
  requests_ms = now;
  std::set<std::int64_t> workspaces;
  for (auto& [k, l] : live) {
    if (l->owned) workspaces.insert(l->ws_id);
  }
  store::DocumentStore& requests = *found;
  for (std::int64_t ws_id : workspaces) {
    auto rows = requests.List(ws_id);
    if (!rows.ok()) continue;
    for (const auto& r : *rows) {
      auto it = live.find(Key(ws_id, r.id));
      if (it == live.end() || !it->second->owned) continue;
      json doc = json::parse(r.doc, nullptr, false);
      if (!doc.is_object() || doc.value("actions", json::array()).empty()) continue;
      // Taken in one conditional write, so a request recorded meanwhile is not lost.
      json taken = json::array();
      Status st = requests.Update(
          ws_id, r.id, [&](const store::DocumentRecord& cur) -> StatusOr<std::string> {
            json d = json::parse(cur.doc, nullptr, false);
            taken = d.is_object() ? d.value("actions", json::array()) : json::array();
            return DumpJson(json{{"actions", json::array()}});
          });
      if (!st.ok() || !taken.is_array()) continue;
      std::shared_ptr<Live> lp = it->second;
      for (const auto& a : taken) {
        if (!a.is_object() || !lp->owned || !live.contains(Key(ws_id, r.id))) break;
        CarryOut(lp, a.value("action", ""), a.value("by", ""));
      }
    }
  }
}

void ComputeInstanceService::State::CarryOut(const std::shared_ptr<Live>& lp,
                                             const std::string& action, const std::string& by) {
  Live& l = *lp;
  spdlog::info("compute instance {}/{}: {} asked through server {}", l.ws, l.row.name, action, by);
  Status st;
  if (action == "stop") {
    st = StopLocked(l, "stop");
  } else if (action == "start") {
    st = StartLocked(l, "start").status();
  } else if (action == "restart") {
    st = RestartLocked(l).status();
  } else if (action == "delete") {
    st = DeleteLocked(lp);
  }
  if (!st.ok()) {
    spdlog::warn("compute instance {}/{}: {} failed: {}", l.ws, l.row.name, action, st.message());
  }
}

}  // namespace mlws::compute_instances
