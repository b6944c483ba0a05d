// Compute instances: records, lifecycle and the monitor (readiness, idle shutdown, schedules).
#include "mlws/compute_instances/compute_instance_service.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include "compute_instances/instance_state.h"
#include "mlws/common/ids.h"
#include "mlws/common/json.h"

namespace mlws::compute_instances {

using nlohmann::json;

namespace {

constexpr const char* kType = "computeinstance";
constexpr int kKillGraceMs = 10000;

}  // namespace

StatusOr<std::shared_ptr<Live>> ComputeInstanceService::State::Find(const std::string& ws,
                                                                    const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking.WorkspaceId(ws));
  auto it = live.find(Key(ws_id, name));
  if (it == live.end()) {
    return NotFound(
        fmt::format("Compute instance '{}' does not exist in workspace '{}'.", name, ws));
  }
  return it->second;
}

Status ComputeInstanceService::State::Persist(Live& l) {
  json proc = {{"supervisor_pid", l.handle.supervisor_pid},
               {"supervisor_start", l.handle.supervisor_start},
               {"process_pid", l.handle.process_pid}};
  json doc = {{"spec", l.user_spec},
              {"owner", l.owner},
              {"owner_id", l.owner_id},
              {"state", l.state},
              {"error", l.error},
              {"last_stop_reason", l.last_stop_reason},
              {"started_at", l.started_at},
              {"dir", l.dir},
              {"port", l.port},
              {"lab_token", l.lab_token},
              {"mlflow_token_id", l.mlflow_token_id},
              {"process", proc}};
  l.row.spec_json = DumpJson(doc);
  return store.jobs().ReplaceCompute(l.row);
}

InstanceView ComputeInstanceService::State::View(const Live& l) const {
  InstanceView v;
  v.name = l.row.name;
  v.state = l.state;
  v.owner = l.owner;
  v.shared_with = l.spec.shared_with;
  v.size = l.spec.size;
  v.description = l.spec.description;
  v.idle_time_before_shutdown_s = l.spec.idle_s;
  for (const auto& s : l.spec.schedules) v.schedules.push_back(s.written);
  v.lab_path = l.BasePath();
  v.files_uri = l.FilesUri();
  v.last_stop_reason = l.last_stop_reason;
  v.error = l.error;
  v.created_at = l.row.created_at;
  v.started_at = l.started_at;
  v.last_activity_ms = l.state == "Running" ? l.Activity() : 0;
  return v;
}

void ComputeInstanceService::State::ComputeFires(Live& l, std::int64_t /*now*/) {
  const std::int64_t now = schedule_clock();
  l.next_fire.clear();
  for (const auto& s : l.spec.schedules) {
    l.next_fire.push_back(schedules::NextFire(s.trigger, now).value_or(0));
  }
}

void ComputeInstanceService::State::RevokeToken(Live& l) {
  if (l.mlflow_token_id == 0) return;
  auth::Principal system(0, "system", false);
  (void)auth.RevokeToken(system, l.mlflow_token_id, true);
  l.mlflow_token_id = 0;
}

// Asks the lab to end (with mu); the exit makes it Stopped.
void ComputeInstanceService::State::SendStop(Live& l, const std::string& reason) {
  l.last_stop_reason = reason;
  if (l.state == "Starting" || l.state == "Running") {
    executor->Signal(l.handle, SIGTERM);
    l.state = "Stopping";
    l.stop_sent_at = NowMillis();
  }
}

StatusOr<InstanceView> ComputeInstanceService::State::StartLocked(Live& l, const std::string& why) {
  if (l.state == "Starting" || l.state == "Running") return View(l);
  if (l.state == "Stopping") {
    l.restart_pending = true;
    return View(l);
  }
  if (!l.owned) {
    // One server runs each lab: the one that wins its lease (docs/scale-out.md).
    if (!leases.Claim(l.ws_id, l.row.name)) {
      return Status(
          ErrorCode::kResourceConflict,
          fmt::format("Compute instance '{}' is being started by another server.", l.row.name));
    }
    l.owned = true;
    DropRequest(l);  // asked of a previous run
  }
  Status st = Launch(l);
  if (!st.ok()) {
    l.state = "Failed";
    l.error = st.message();
    (void)Persist(l);
    Settle(l);
    return st;
  }
  spdlog::info("compute instance {}/{} starting ({})", l.ws, l.row.name, why);
  RETURN_IF_ERROR(Persist(l));
  cv.notify_all();
  return View(l);
}

void ComputeInstanceService::State::HandleExit(const std::string& key,
                                               const jobs::ExitRecord& rec) {
  for (auto& [k, lp] : live) {
    Live& l = *lp;
    if (l.key != key) continue;
    l.key.clear();
    l.handle = jobs::ProcessHandle{};
    RevokeToken(l);
    if (l.state == "Stopping" || l.restart_pending) {
      l.state = "Stopped";
    } else {
      std::string how = rec.lost          ? "its supervisor is gone"
                        : rec.signal != 0 ? fmt::format("killed by signal {}", rec.signal)
                                          : fmt::format("exit code {}", rec.exit_code);
      l.state = "Failed";
      l.error = fmt::format("JupyterLab ended on its own ({}); log tail:\n{}", how,
                            LogTail(l.dir + "/std_log.txt", 2000));
      l.last_stop_reason = "failed";
    }
    if (l.remote_files) {
      // Written back before the state says Stopped, so Stopped means saved.
      Status saved = SyncFiles(*l.remote_files, l.FilesCopy(), l.ws + "/" + l.row.name);
      if (!saved.ok()) l.error = "cannot write its files back to the bucket: " + saved.message();
    }
    if (l.restart_pending) {
      l.restart_pending = false;
      (void)StartLocked(l, "restart");
    }
    (void)Persist(l);
    Settle(l);
    cv.notify_all();
    return;
  }
}

void ComputeInstanceService::State::Poll(const std::shared_ptr<Live>& lp, std::int64_t now,
                                         std::unique_lock<std::mutex>& lock) {
  Live& l = *lp;
  int port = l.port;
  std::string token = l.lab_token, target = l.BasePath() + "api/status", key = l.key;
  lock.unlock();
  auto r = LabCall(port, "GET", target, {{"Authorization", "token " + token}}, "", 2000);
  lock.lock();
  if (l.key != key) return;  // stopped or relaunched meanwhile
  if (!r.ok() || r->status != 200) return;
  json st = json::parse(r->body, nullptr, false);
  if (st.is_object() && st.contains("last_activity") && st["last_activity"].is_string()) {
    l.jupyter_activity = ParseJupyterTime(st["last_activity"].get<std::string>());
  }
  if (l.state == "Starting") {
    l.state = "Running";
    l.ready_at = NowMillis();
    spdlog::info("compute instance {}/{} running", l.ws, l.row.name);
    (void)Persist(l);
    cv.notify_all();
  }
  (void)now;
}

void ComputeInstanceService::State::Tick(std::unique_lock<std::mutex>& lock) {
  std::deque<std::pair<std::string, jobs::ExitRecord>> ended;
  {
    std::lock_guard<std::mutex> el(exit_mu);
    ended.swap(exits);
  }
  for (const auto& [k, rec] : ended) HandleExit(k, rec);
  LeaseRound(lock);
  if (stopping) return;
  CarryOutRequests();
  std::int64_t now = NowMillis();
  const std::int64_t schedule_now = schedule_clock();
  std::vector<std::shared_ptr<Live>> polls;
  struct Sync {
    assets::DatastoreLocation at;
    std::string dir, what;
  };
  std::vector<Sync> syncs;
  for (auto& [k, lp] : live) {
    Live& l = *lp;
    for (size_t i = 0; i < l.next_fire.size() && i < l.spec.schedules.size(); ++i) {
      if (l.next_fire[i] == 0 || l.next_fire[i] > schedule_now) continue;
      l.next_fire[i] = schedules::NextFire(l.spec.schedules[i].trigger, schedule_now).value_or(0);
      if (l.spec.schedules[i].action == "start") {
        // Every server sees the schedule; the one that wins the lease starts the lab.
        bool run_elsewhere = !l.owned && IsLiveState(l.state);
        if (!run_elsewhere) (void)StartLocked(l, "schedule");
      } else if (l.owned) {
        SendStop(l, "schedule");
        (void)Persist(l);
      }
    }
    if (!l.owned) continue;  // run (or stopped) elsewhere: its row is the truth
    if (l.state == "Starting" && now - l.started_at > options.start_timeout_s * 1000LL) {
      SendStop(l, "failed");
      l.error = fmt::format("JupyterLab was not ready within {} s; log tail:\n{}",
                            options.start_timeout_s, LogTail(l.dir + "/std_log.txt", 2000));
      (void)Persist(l);
      continue;
    }
    if (l.state == "Stopping" && l.stop_sent_at > 0 && now - l.stop_sent_at > kKillGraceMs) {
      executor->Signal(l.handle, SIGKILL);
      l.stop_sent_at = now;
    }
    if (l.state == "Running" && l.spec.idle_s > 0 && now - l.Activity() > l.spec.idle_s * 1000) {
      spdlog::info("compute instance {}/{} idle for {} s: stopping", l.ws, l.row.name,
                   (now - l.Activity()) / 1000);
      SendStop(l, "idle");
      (void)Persist(l);
      continue;
    }
    if (l.state == "Running" && l.remote_files && now >= l.next_sync) {
      l.next_sync = now + kFileSyncMs;
      syncs.push_back({*l.remote_files, l.FilesCopy(), l.ws + "/" + l.row.name});
    }
    if ((l.state == "Starting" || l.state == "Running") && now >= l.next_poll) {
      l.next_poll = now + (l.state == "Starting" ? 200 : options.activity_poll_ms);
      polls.push_back(lp);
    }
  }
  for (auto& lp : polls) {
    if (stopping) break;
    Poll(lp, now, lock);
  }
  if (syncs.empty() || stopping) return;
  lock.unlock();  // the upload may take a while: API calls go on meanwhile
  for (const auto& s : syncs) (void)SyncFiles(s.at, s.dir, s.what);
  lock.lock();
}

void ComputeInstanceService::State::MonitorLoop() {
  std::unique_lock<std::mutex> lock(mu);
  while (!stopping) {
    cv.wait_for(lock, std::chrono::milliseconds(options.monitor_interval_ms));
    if (stopping) break;
    Tick(lock);
  }
}

ComputeInstanceService::ComputeInstanceService(store::MetadataStore& store,
                                               tracking::TrackingService& tracking,
                                               assets::AssetService& assets, jobs::JobService& jobs,
                                               auth::AuthService& auth,
                                               ComputeInstanceOptions options)
    : s_(std::make_unique<State>(store, tracking, assets, jobs, auth, std::move(options))) {
  State* s = s_.get();
  s_->executor = jobs::NewLocalExecutor(
      [s](const std::string& key, const jobs::ExitRecord& rec) {
        {
          std::lock_guard<std::mutex> lock(s->exit_mu);
          s->exits.emplace_back(key, rec);
        }
        s->cv.notify_all();
      },
      s_->options.supervisor);
}

ComputeInstanceService::~ComputeInstanceService() { Stop(); }

bool ComputeInstanceService::IsInstanceSpec(const json& spec) {
  return spec.is_object() && spec.contains("type") && spec["type"].is_string() &&
         spec["type"].get<std::string>() == kType;
}

Status ComputeInstanceService::Recover() {
  ASSIGN_OR_RETURN(auto workspaces, s_->tracking.ListWorkspaces());
  std::lock_guard<std::mutex> lock(s_->mu);
  std::int64_t now = NowMillis();
  for (const auto& w : workspaces) {
    ASSIGN_OR_RETURN(auto computes, s_->store.jobs().ListComputes(w.id));
    for (const auto& c : computes) {
      auto l = s_->FromRow(w.id, w.name, c, now);
      if (l == nullptr) continue;
      s_->live[State::Key(w.id, c.name)] = l;
      bool live_state = IsLiveState(l->state);
      if (!live_state) continue;
      // This server's own labs of before a restart (their server is gone from this host) are
      // re-adopted now; those of another live server stay its own, and a lab whose server on
      // another host stopped renewing is taken over by the monitor (which knows the URL).
      std::string holder;
      if (!s_->leases.Free(w.id, c.name, &holder)) continue;
      if (!holder.empty() && jobs::JobService::HostOfServer(holder) != s_->jobs.host()) continue;
      if (!s_->leases.Claim(w.id, c.name)) continue;
      s_->TakeOver(*l, holder);
    }
  }
  return Status::Ok();
}

void ComputeInstanceService::Start(const std::string& server_url) {
  std::lock_guard<std::mutex> lock(s_->mu);
  s_->server_url = server_url;
  if (s_->monitor.joinable()) return;
  s_->monitor = std::thread([s = s_.get()] { s->MonitorLoop(); });
}

void ComputeInstanceService::Stop() {
  {
    std::lock_guard<std::mutex> lock(s_->mu);
    s_->stopping = true;
  }
  s_->cv.notify_all();
  if (s_->monitor.joinable()) s_->monitor.join();
  if (s_->executor) s_->executor->Stop();
}

StatusOr<InstanceView> ComputeInstanceService::Create(const std::string& ws, const json& spec,
                                                      const auth::Principal& who) {
  std::int64_t now = NowMillis();
  ASSIGN_OR_RETURN(InstanceSpec parsed, ParseInstanceSpec(spec, now));
  ASSIGN_OR_RETURN(std::int64_t ws_id, s_->tracking.WorkspaceId(ws));
  for (const auto& u : parsed.shared_with) {
    ASSIGN_OR_RETURN(auto users, s_->auth.ListUsers());
    bool found = false;
    for (const auto& x : users) found = found || x.name == u;
    if (!found) return InvalidArgument(fmt::format("'shared_with': no user named '{}'.", u));
  }
  std::lock_guard<std::mutex> lock(s_->mu);
  if (s_->live.contains(State::Key(ws_id, parsed.name)) ||
      s_->store.jobs().GetCompute(ws_id, parsed.name).ok() || parsed.name == "local") {
    return Status(ErrorCode::kResourceAlreadyExists,
                  fmt::format("A compute named '{}' already exists in workspace '{}'; choose "
                              "another name or delete it first.",
                              parsed.name, ws));
  }
  auto l = std::make_shared<Live>();
  l->ws_id = ws_id;
  l->ws = ws;
  l->user_spec = spec;
  l->spec = parsed;
  l->owner = who.name;
  l->owner_id = who.user_id;
  l->row.workspace_id = ws_id;
  l->row.name = parsed.name;
  l->row.type = kType;
  l->row.size = parsed.size;
  l->row.description = parsed.description;
  l->row.min_instances = 0;
  l->row.max_instances = 1;
  l->row.idle_time_before_scale_down = parsed.idle_s;
  l->row.created_at = now;
  s_->ComputeFires(*l, now);
  RETURN_IF_ERROR(s_->Persist(*l));
  s_->live[State::Key(ws_id, parsed.name)] = l;
  // Created instances start at once (as Azure's do); a failed start leaves it Failed, visible.
  auto started = s_->StartLocked(*l, "created");
  if (!started.ok()) return s_->View(*l);
  return started;
}

StatusOr<InstanceView> ComputeInstanceService::Get(const std::string& ws, const std::string& name) {
  RETURN_IF_ERROR(s_->Refresh(ws));
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto l, s_->Find(ws, name));
  return s_->View(*l);
}

StatusOr<std::vector<InstanceView>> ComputeInstanceService::List(const std::string& ws) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, s_->tracking.WorkspaceId(ws));
  RETURN_IF_ERROR(s_->Refresh(ws));
  std::lock_guard<std::mutex> lock(s_->mu);
  std::vector<InstanceView> out;
  for (const auto& [k, l] : s_->live) {
    if (l->ws_id == ws_id) out.push_back(s_->View(*l));
  }
  return out;
}

bool ComputeInstanceService::Exists(const std::string& ws, const std::string& name) {
  if (!s_->Refresh(ws).ok()) return false;
  std::lock_guard<std::mutex> lock(s_->mu);
  return s_->Find(ws, name).ok();
}

// Start, stop, restart and delete work through every server: the one running the lab carries
// them out, at once when it is this one, else from the request it finds within a second.
StatusOr<InstanceView> ComputeInstanceService::StartInstance(const std::string& ws,
                                                             const std::string& name) {
  RETURN_IF_ERROR(s_->Refresh(ws));
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto l, s_->Find(ws, name));
  ASSIGN_OR_RETURN(bool here, s_->Own(*l, "start"));
  if (!here) return s_->Requested(*l, "start");
  return s_->StartLocked(*l, "start");
}

StatusOr<InstanceView> ComputeInstanceService::StopInstance(const std::string& ws,
                                                            const std::string& name) {
  RETURN_IF_ERROR(s_->Refresh(ws));
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto l, s_->Find(ws, name));
  ASSIGN_OR_RETURN(bool here, s_->Own(*l, "stop"));
  if (!here) return s_->Requested(*l, "stop");
  RETURN_IF_ERROR(s_->StopLocked(*l, "stop"));
  return s_->View(*l);
}

StatusOr<InstanceView> ComputeInstanceService::Restart(const std::string& ws,
                                                       const std::string& name) {
  RETURN_IF_ERROR(s_->Refresh(ws));
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto l, s_->Find(ws, name));
  ASSIGN_OR_RETURN(bool here, s_->Own(*l, "restart"));
  if (!here) return s_->Requested(*l, "restart");
  return s_->RestartLocked(*l);
}

Status ComputeInstanceService::Delete(const std::string& ws, const std::string& name) {
  RETURN_IF_ERROR(s_->Refresh(ws));
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto l, s_->Find(ws, name));
  ASSIGN_OR_RETURN(bool here, s_->Own(*l, "delete"));
  if (!here) return Status::Ok();  // the server running it deletes it within a second
  return s_->DeleteLocked(l);
}

Status ComputeInstanceService::State::StopLocked(Live& l, const std::string& reason) {
  if (!l.owned) return Status::Ok();  // stopped already, and its row is another server's to write
  l.restart_pending = false;
  SendStop(l, reason);
  Status st = Persist(l);
  Settle(l);
  return st;
}

StatusOr<InstanceView> ComputeInstanceService::State::RestartLocked(Live& l) {
  if (!IsLiveState(l.state)) {
    return StartLocked(l, "restart");
  }
  l.restart_pending = true;
  SendStop(l, "restart");
  RETURN_IF_ERROR(Persist(l));
  return View(l);
}

Status ComputeInstanceService::State::DeleteLocked(const std::shared_ptr<Live>& lp) {
  Live& l = *lp;
  l.restart_pending = false;
  SendStop(l, "deleted");
  RevokeToken(l);
  if (l.remote_files) (void)SyncFiles(*l.remote_files, l.FilesCopy(), l.ws + "/" + l.row.name);
  RETURN_IF_ERROR(store.jobs().DeleteCompute(l.ws_id, l.row.name));
  DropRequest(l);
  if (l.owned) leases.Release(l.ws_id, l.row.name);
  l.owned = false;
  ++deletions;
  live.erase(Key(l.ws_id, l.row.name));
  return Status::Ok();
}

StatusOr<LabTarget> ComputeInstanceService::Lab(const std::string& ws, const std::string& name,
                                                const auth::Principal& who, bool is_admin) {
  // Every lab request comes here: the store is read only for an instance unknown so far (the
  // monitor refreshes the others every lease/3).
  bool known = false;
  {
    std::lock_guard<std::mutex> lock(s_->mu);
    known = s_->Find(ws, name).ok();
  }
  if (!known) RETURN_IF_ERROR(s_->Refresh(ws));
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto l, s_->Find(ws, name));
  bool allowed = who.open_mode || is_admin || (who.user_id != 0 && who.user_id == l->owner_id);
  for (const auto& u : l->spec.shared_with) allowed = allowed || u == who.name;
  if (!allowed) {
    return Status(ErrorCode::kPermissionDenied,
                  fmt::format("Compute instance '{}' belongs to '{}' and is not shared with '{}'.",
                              name, l->owner, who.name));
  }
  if (l->state != "Running") {
    return Status(ErrorCode::kTemporarilyUnavailable,
                  fmt::format("Compute instance '{}' is {}; start it with `mlws compute start {}`.",
                              name, l->state, name));
  }
  if (!l->owned) {
    std::string why = s_->RemoteLab(*l);
    if (!why.empty()) return Status(ErrorCode::kTemporarilyUnavailable, why);
  }
  LabTarget t;
  t.port = l->port;
  t.token = l->lab_token;
  t.base_path = l->BasePath();
  std::weak_ptr<Live> weak = l;
  t.touch = [weak] {
    if (auto p = weak.lock()) p->proxy_activity = NowMillis();
  };
  return t;
}

}  // namespace mlws::compute_instances
