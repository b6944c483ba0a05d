// Compute instances: records, lifecycle and the monitor (readiness, idle shutdown, schedules).
#include "mlws/compute_instances/compute_instance_service.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "compute_instances/instance_internal.h"
#include "jobs/command.h"
#include "mlws/common/ids.h"
#include "mlws/common/json.h"
#include "mlws/jobs/executor.h"
#include "mlws/schedules/schedule_service.h"

namespace mlws::compute_instances {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using jobs::ShellQuote;

constexpr const char* kType = "computeinstance";
constexpr int kKillGraceMs = 10000;

// A free loopback port in 20000-32767 (below the ephemeral range the tests keep free).
int FreePort() {
  static std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(20000, 32767);
  for (int attempt = 0; attempt < 200; ++attempt) {
    int port = pick(rng);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    ::close(fd);
    if (ok) return port;
  }
  return 0;
}

std::string LogTail(const std::string& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  in.seekg(std::max<std::streamoff>(0, size - static_cast<std::streamoff>(bytes)));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

struct Live {
  std::int64_t ws_id = 0;
  std::string ws;
  jobs::Compute row;
  json user_spec;
  InstanceSpec spec;
  std::string owner;
  std::int64_t owner_id = 0;
  std::string state = "Stopped";
  std::string error;
  std::string last_stop_reason;
  bool restart_pending = false;
  std::int64_t started_at = 0;
  std::int64_t ready_at = 0;
  std::int64_t stop_sent_at = 0;
  std::int64_t jupyter_activity = 0;
  std::atomic<std::int64_t> proxy_activity{0};  // set by the proxy without mu
  std::int64_t next_poll = 0;
  std::vector<std::int64_t> next_fire;  // per schedule; 0 = none
  std::string dir;
  std::string key;
  jobs::ProcessHandle handle;
  int port = 0;
  std::string lab_token;
  std::int64_t mlflow_token_id = 0;

  std::string BasePath() const { return "/workspaces/" + ws + "/computes/" + row.name + "/lab/"; }
  std::int64_t Activity() const {
    return std::max({jupyter_activity, proxy_activity.load(), ready_at, started_at});
  }
};

struct ComputeInstanceService::State {
  State(store::MetadataStore& st, tracking::TrackingService& tr, assets::AssetService& as,
        jobs::JobService& jb, auth::AuthService& au, ComputeInstanceOptions o)
      : store(st), tracking(tr), assets(as), jobs(jb), auth(au), options(std::move(o)) {}

  store::MetadataStore& store;
  tracking::TrackingService& tracking;
  assets::AssetService& assets;
  jobs::JobService& jobs;
  auth::AuthService& auth;
  ComputeInstanceOptions options;
  // Start/stop schedules' clock: the schedules' own (MLWS_SCHEDULE_CLOCK_FILE lets a test move
  // it forward; docs/schedules.md), so a test waits on a state, not on the wall clock.
  schedules::Clock schedule_clock = schedules::ClockFromEnvironment();
  std::unique_ptr<jobs::Executor> executor;
  std::string server_url;

  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, std::shared_ptr<Live>> live;  // "<ws id>/<name>"; guarded by mu
  std::mutex exit_mu;
  std::deque<std::pair<std::string, jobs::ExitRecord>> exits;  // guarded by exit_mu
  bool stopping = false;                                       // guarded by mu
  std::thread monitor;
  std::uint64_t launch_seq = 0;  // guarded by mu

  static std::string Key(std::int64_t ws_id, const std::string& name) {
    return std::to_string(ws_id) + "/" + name;
  }

  StatusOr<std::shared_ptr<Live>> Find(const std::string& ws, const std::string& name) {
    ASSIGN_OR_RETURN(std::int64_t ws_id, tracking.WorkspaceId(ws));
    auto it = live.find(Key(ws_id, name));
    if (it == live.end()) {
      return NotFound(
          fmt::format("Compute instance '{}' does not exist in workspace '{}'.", name, ws));
    }
    return it->second;
  }

  Status Persist(Live& l) {
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

  InstanceView View(const Live& l) const {
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
    v.files_uri = std::string("azureml://datastores/") + assets::kDefaultDatastore +
                  "/paths/Users/" + l.owner;
    v.last_stop_reason = l.last_stop_reason;
    v.error = l.error;
    v.created_at = l.row.created_at;
    v.started_at = l.started_at;
    v.last_activity_ms = l.state == "Running" ? l.Activity() : 0;
    return v;
  }

  void ComputeFires(Live& l, std::int64_t /*now*/) {
    const std::int64_t now = schedule_clock();
    l.next_fire.clear();
    for (const auto& s : l.spec.schedules) {
      l.next_fire.push_back(schedules::NextFire(s.trigger, now).value_or(0));
    }
  }

  // Launches the lab (with mu). On failure the instance is Failed with the reason.
  Status Launch(Live& l) {
    if (options.jupyter_venv.empty()) {
      return Status(ErrorCode::kTemporarilyUnavailable,
                    "JupyterLab is not installed on this server: build .venv-jupyter (make deps) "
                    "or point MLWS_JUPYTER_VENV at a virtualenv with jupyterlab.");
    }
    if (!jobs.sandboxed() && !options.allow_unsandboxed) {
      return Status(ErrorCode::kTemporarilyUnavailable,
                    "Compute instances run in the job sandbox, which is unavailable on this "
                    "server; install bubblewrap or start it with --allow-unsandboxed-jobs.");
    }
    ASSIGN_OR_RETURN(
        std::string files,
        assets.LocalPath(l.ws, std::string("azureml://datastores/") + assets::kDefaultDatastore +
                                   "/paths/Users/" + l.owner));
    std::error_code ec;
    fs::create_directories(files, ec);
    if (ec) return Internal("cannot create " + files + ": " + ec.message());
    if (l.dir.empty()) {
      l.dir = (fs::path(options.root) / NewRunId().substr(0, 12)).string();
    }
    fs::create_directories(l.dir, ec);
    if (ec) return Internal("cannot create " + l.dir + ": " + ec.message());
    fs::remove(l.dir + "/exit", ec);
    fs::remove(l.dir + "/exit.started", ec);
    l.port = FreePort();
    if (l.port == 0) return Internal("no free loopback port for the lab");
    l.lab_token = NewRunId() + NewRunId();
    std::string mlflow_token;
    if (auth.auth_required() && l.owner_id != 0) {
      auth::Principal owner(l.owner_id, l.owner, false);
      auto t = auth.CreateJobToken(owner, "compute instance " + l.row.name,
                                   auth::TokenScope{l.ws_id, "ci-" + l.row.name}, 7);
      if (!t.ok()) return t.status();
      mlflow_token = t->secret;
      l.mlflow_token_id = t->info.id;
    }
    std::string venv = fs::weakly_canonical(options.jupyter_venv, ec).string();
    std::string cmd = fmt::format(
        "exec {} lab --no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={} "
        "--ServerApp.port_retries=0 --ServerApp.base_url={} --ServerApp.root_dir={} "
        "--ServerApp.allow_origin='*' --ServerApp.open_browser=False --ServerApp.allow_root=True "
        "--LabApp.news_url=None --LabApp.check_for_updates_class="
        "jupyterlab.NeverCheckForUpdate",
        ShellQuote(venv + "/bin/jupyter"), l.port, ShellQuote(l.BasePath()), ShellQuote(files));
    if (l.spec.idle_s > 0) {
      // Jupyter's own culling: idle kernels and terminals end after the instance's idle time.
      cmd += fmt::format(
          " --MappingKernelManager.cull_idle_timeout={0} --MappingKernelManager.cull_interval={1}"
          " --TerminalManager.cull_inactive_timeout={0} --TerminalManager.cull_interval={1}",
          l.spec.idle_s, std::max<std::int64_t>(1, std::min<std::int64_t>(60, l.spec.idle_s / 2)));
    }
    // The sandbox's /tmp is not the job user's to write: Jupyter's home (config, runtime files,
    // IPython history) is a hidden folder of the instance's own files, which Jupyter hides.
    std::string home = files + "/.mlws-home";
    std::string path_env = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin:/bin";
    jobs::LaunchSpec ls;
    ls.key = fmt::format("{}#{}", l.dir, ++launch_seq);
    ls.work_dir = files;
    ls.log_path = l.dir + "/std_log.txt";
    ls.exit_path = l.dir + "/exit";
    ls.command = cmd;
    ls.env = {"PATH=" + venv + "/bin:" + path_env,
              "HOME=" + home,
              "LANG=C.UTF-8",
              "PYTHONUNBUFFERED=1",
              "JUPYTER_TOKEN=" + l.lab_token,
              "JUPYTER_RUNTIME_DIR=" + home + "/runtime",
              "MLFLOW_TRACKING_URI=" + server_url + "/workspaces/" + l.ws,
              "MLWS_URL=" + server_url,
              "MLWS_WORKSPACE=" + l.ws,
              "MLWS_COMPUTE_INSTANCE=" + l.row.name};
    if (!mlflow_token.empty()) {
      ls.env.push_back("MLFLOW_TRACKING_TOKEN=" + mlflow_token);
      ls.env.push_back("MLWS_TOKEN=" + mlflow_token);
    }
    for (const char* name : {"PYENV_ROOT", "PYENV_VERSION"}) {
      if (const char* v = std::getenv(name); v != nullptr) {
        ls.env.push_back(std::string(name) + "=" + v);
      }
    }
    if (jobs.sandboxed()) {
      ls.sandbox_argv =
          jobs.SandboxedCommand({jobs::DefaultShell(), "-c", ls.command}, files, {venv});
    }
    {
      std::ofstream log(ls.log_path, std::ios::app);
      log << fmt::format("--- mlws: starting compute instance {} on port {}\n", l.row.name, l.port);
    }
    l.key = ls.key;
    auto h = executor->Launch(ls);
    if (!h.ok()) return h.status();
    l.handle = *h;
    l.state = "Starting";
    l.error.clear();
    l.started_at = NowMillis();
    l.ready_at = 0;
    l.stop_sent_at = 0;
    l.jupyter_activity = 0;
    l.proxy_activity = 0;
    return Status::Ok();
  }

  void RevokeToken(Live& l) {
    if (l.mlflow_token_id == 0) return;
    auth::Principal system(0, "system", false);
    (void)auth.RevokeToken(system, l.mlflow_token_id, true);
    l.mlflow_token_id = 0;
  }

  // Asks the lab to end (with mu); the exit makes it Stopped.
  void SendStop(Live& l, const std::string& reason) {
    l.last_stop_reason = reason;
    if (l.state == "Starting" || l.state == "Running") {
      executor->Signal(l.handle, SIGTERM);
      l.state = "Stopping";
      l.stop_sent_at = NowMillis();
    }
  }

  StatusOr<InstanceView> StartLocked(Live& l, const std::string& why) {
    if (l.state == "Starting" || l.state == "Running") return View(l);
    if (l.state == "Stopping") {
      l.restart_pending = true;
      return View(l);
    }
    Status st = Launch(l);
    if (!st.ok()) {
      l.state = "Failed";
      l.error = st.message();
      (void)Persist(l);
      return st;
    }
    spdlog::info("compute instance {}/{} starting ({})", l.ws, l.row.name, why);
    RETURN_IF_ERROR(Persist(l));
    cv.notify_all();
    return View(l);
  }

  void HandleExit(const std::string& key, const jobs::ExitRecord& rec) {
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
      if (l.restart_pending) {
        l.restart_pending = false;
        (void)StartLocked(l, "restart");
      }
      (void)Persist(l);
      cv.notify_all();
      return;
    }
  }

  void Poll(const std::shared_ptr<Live>& lp, std::int64_t now, std::unique_lock<std::mutex>& lock) {
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

  void Tick(std::unique_lock<std::mutex>& lock) {
    std::deque<std::pair<std::string, jobs::ExitRecord>> ended;
    {
      std::lock_guard<std::mutex> el(exit_mu);
      ended.swap(exits);
    }
    for (const auto& [k, rec] : ended) HandleExit(k, rec);
    std::int64_t now = NowMillis();
    const std::int64_t schedule_now = schedule_clock();
    std::vector<std::shared_ptr<Live>> polls;
    for (auto& [k, lp] : live) {
      Live& l = *lp;
      for (size_t i = 0; i < l.next_fire.size() && i < l.spec.schedules.size(); ++i) {
        if (l.next_fire[i] == 0 || l.next_fire[i] > schedule_now) continue;
        l.next_fire[i] = schedules::NextFire(l.spec.schedules[i].trigger, schedule_now).value_or(0);
        if (l.spec.schedules[i].action == "start") {
          (void)StartLocked(l, "schedule");
        } else {
          SendStop(l, "schedule");
          (void)Persist(l);
        }
      }
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
      if ((l.state == "Starting" || l.state == "Running") && now >= l.next_poll) {
        l.next_poll = now + (l.state == "Starting" ? 200 : options.activity_poll_ms);
        polls.push_back(lp);
      }
    }
    for (auto& lp : polls) {
      if (stopping) break;
      Poll(lp, now, lock);
    }
  }

  void MonitorLoop() {
    std::unique_lock<std::mutex> lock(mu);
    while (!stopping) {
      cv.wait_for(lock, std::chrono::milliseconds(options.monitor_interval_ms));
      if (stopping) break;
      Tick(lock);
    }
  }
};

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
      if (c.type != kType) continue;
      json doc = json::parse(c.spec_json, nullptr, false);
      if (!doc.is_object()) continue;
      auto l = std::make_shared<Live>();
      l->ws_id = w.id;
      l->ws = w.name;
      l->row = c;
      l->user_spec = doc.value("spec", json::object());
      auto spec = ParseInstanceSpec(l->user_spec, now);
      if (!spec.ok()) {
        spdlog::warn("compute instance {}/{}: stored spec no longer valid: {}", w.name, c.name,
                     spec.status().message());
        continue;
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
      bool live_state = l->state == "Starting" || l->state == "Running" || l->state == "Stopping";
      if (live_state && l->handle.supervisor_pid != 0) {
        // Re-adopted: Running again once its lab answers; its exit (if it ended meanwhile)
        // arrives through the executor and makes it Stopped.
        l->key = fmt::format("{}#{}", l->dir, ++s_->launch_seq);
        if (l->state != "Stopping") l->state = "Starting";
        l->started_at = now;
        s_->executor->Adopt(l->key, l->handle, l->dir + "/exit");
      } else if (live_state) {
        l->state = "Stopped";
        l->last_stop_reason = "server restart";
      }
      s_->ComputeFires(*l, now);
      s_->live[State::Key(w.id, c.name)] = l;
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
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto l, s_->Find(ws, name));
  return s_->View(*l);
}

StatusOr<std::vector<InstanceView>> ComputeInstanceService::List(const std::string& ws) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, s_->tracking.WorkspaceId(ws));
  std::lock_guard<std::mutex> lock(s_->mu);
  std::vector<InstanceView> out;
  for (const auto& [k, l] : s_->live) {
    if (l->ws_id == ws_id) out.push_back(s_->View(*l));
  }
  return out;
}

bool ComputeInstanceService::Exists(const std::string& ws, const std::string& name) {
  std::lock_guard<std::mutex> lock(s_->mu);
  return s_->Find(ws, name).ok();
}

StatusOr<InstanceView> ComputeInstanceService::StartInstance(const std::string& ws,
                                                             const std::string& name) {
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto l, s_->Find(ws, name));
  return s_->StartLocked(*l, "start");
}

StatusOr<InstanceView> ComputeInstanceService::StopInstance(const std::string& ws,
                                                            const std::string& name) {
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto l, s_->Find(ws, name));
  l->restart_pending = false;
  s_->SendStop(*l, "stop");
  RETURN_IF_ERROR(s_->Persist(*l));
  return s_->View(*l);
}

StatusOr<InstanceView> ComputeInstanceService::Restart(const std::string& ws,
                                                       const std::string& name) {
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto l, s_->Find(ws, name));
  if (l->state != "Starting" && l->state != "Running" && l->state != "Stopping") {
    return s_->StartLocked(*l, "restart");
  }
  l->restart_pending = true;
  s_->SendStop(*l, "restart");
  RETURN_IF_ERROR(s_->Persist(*l));
  return s_->View(*l);
}

Status ComputeInstanceService::Delete(const std::string& ws, const std::string& name) {
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto l, s_->Find(ws, name));
  l->restart_pending = false;
  s_->SendStop(*l, "deleted");
  s_->RevokeToken(*l);
  RETURN_IF_ERROR(s_->store.jobs().DeleteCompute(l->ws_id, name));
  s_->live.erase(State::Key(l->ws_id, name));
  return Status::Ok();
}

StatusOr<LabTarget> ComputeInstanceService::Lab(const std::string& ws, const std::string& name,
                                                const auth::Principal& who, bool is_admin) {
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
