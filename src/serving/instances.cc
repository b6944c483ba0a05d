// Scoring instances: launch, readiness, liveness probes, restarts and retirement (see
// include/mlws/serving/endpoint_service.h).
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "jobs/command.h"
#include "mlws/common/ids.h"
#include "serving/serving_state.h"
#include "serving/stage_in.h"

namespace mlws::serving {

namespace fs = std::filesystem;

namespace {

using jobs::ShellQuote;

constexpr const char* kSocketName = "s.sock";
constexpr int kStartPingTimeoutMs = 2000;

std::string WorkDir(const Instance& i) { return i.rec.dir + "/wd"; }
std::string SocketPath(const Instance& i) { return WorkDir(i) + "/" + kSocketName; }

jobs::ProcessHandle HandleOf(const InstanceRecord& r) {
  jobs::ProcessHandle h;
  h.supervisor_pid = r.supervisor_pid;
  h.supervisor_start = r.supervisor_start;
  h.process_pid = r.process_pid;
  return h;
}

}  // namespace

std::string InstanceLogPath(const std::string& dir) { return dir + "/std_log.txt"; }

std::string EndpointService::State::LogTail(const std::string& dir, int lines) const {
  std::ifstream in(InstanceLogPath(dir), std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff start = std::max<std::streamoff>(0, size - 256 * 1024);
  in.seekg(start);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t pos = text.size();
  if (!text.empty() && text.back() == '\n') --pos;
  for (int n = 0; n < lines && pos != std::string::npos && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
  }
  return pos == std::string::npos || pos == 0 ? text : text.substr(pos + 1);
}

void EndpointService::State::SyncRecords(LiveDeployment& dep) {
  dep.d.instances.clear();
  for (const auto& i : dep.instances) {
    if (i->state != InstanceState::kExited) dep.d.instances.push_back(i->rec);
  }
}

Status EndpointService::State::LaunchInstance(LiveDeployment& dep, Instance& inst) {
  // Its callers stage files that are not here (StagedCopy) before they take mu.
  if (!FilesStaged(dep.d)) {
    return NotFound(
        "the deployment's files are not on this server's disk (staged elsewhere, or "
        "removed)");
  }
  const OnlineDeployment& d = dep.d;
  std::error_code ec;
  std::string wd = WorkDir(inst);
  fs::create_directories(wd + "/.mlws/model_root", ec);
  if (ec) return Internal("cannot create " + wd + ": " + ec.message());
  fs::remove(SocketPath(inst), ec);
  fs::remove(inst.rec.dir + "/exit", ec);
  fs::remove(inst.rec.dir + "/exit.started", ec);
  // AZUREML_MODEL_DIR/<folder> is the model's folder (or file); the code folder is .mlws/code.
  fs::path link = fs::path(wd) / ".mlws" / "model_root" / d.model_folder;
  fs::remove(link, ec);
  fs::create_symlink(d.model_local, link, ec);
  if (ec) return Internal("cannot link the model: " + ec.message());
  std::vector<std::string> read_only = {d.model_local};
  std::string python = "python3";
  std::string path_env = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin:/bin";
  if (!d.env_bin_dir.empty()) {
    python = d.env_bin_dir + "/python";
    path_env = d.env_bin_dir + ":" + path_env;
    read_only.push_back(fs::path(d.env_bin_dir).parent_path().string());
  }
  std::string command =
      ShellQuote(python) + " -m mlws_scoring --socket " + ShellQuote(SocketPath(inst));
  if (!d.scoring_script.empty()) {
    fs::path code = fs::path(wd) / ".mlws" / "code";
    fs::remove(code, ec);
    fs::create_symlink(d.code_local, code, ec);
    if (ec) return Internal("cannot link the code: " + ec.message());
    read_only.push_back(d.code_local);
    command += " --script " + ShellQuote((code / d.scoring_script).string());
  } else {
    command += " --mlflow-model " + ShellQuote(d.model_local);
  }
  jobs::LaunchSpec ls;
  ls.key = fmt::format("{}#{}", inst.rec.dir, ++launch_seq);
  ls.work_dir = wd;
  ls.log_path = InstanceLogPath(inst.rec.dir);
  ls.exit_path = inst.rec.dir + "/exit";
  ls.command = "exec " + command;
  ls.env = {"PATH=" + path_env,
            "HOME=" + wd,
            "PYTHONUNBUFFERED=1",
            "PYTHONPATH=" + options.python_path,
            "AZUREML_MODEL_DIR=" + (fs::path(wd) / ".mlws" / "model_root").string(),
            "AZUREML_ENTRY_SCRIPT=" + d.scoring_script,
            "MLWS_ENDPOINT=" + d.endpoint_name,
            "MLWS_DEPLOYMENT=" + d.name,
            "LANG=C.UTF-8"};
  // pyenv's shims find their interpreters through these (HOME is the instance's own folder).
  for (const char* name : {"PYENV_ROOT", "PYENV_VERSION"}) {
    if (const char* v = std::getenv(name); v != nullptr)
      ls.env.push_back(std::string(name) + "=" + v);
  }
  for (const auto& [k, v] : d.environment_variables) ls.env.push_back(k + "=" + v);
  if (jobs.sandboxed()) {
    ls.sandbox_argv =
        jobs.SandboxedCommand({jobs::DefaultShell(), "-c", ls.command}, wd, read_only);
  }
  {
    std::ofstream log(ls.log_path, std::ios::app);
    log << fmt::format("--- mlws: starting instance {} of {}/{} (generation {}, launch {})\n",
                       inst.rec.index, d.endpoint_name, d.name, inst.rec.generation,
                       inst.launches + 1);
  }
  inst.key = ls.key;
  inst.state = InstanceState::kStarting;
  inst.launched_ms = NowMillis();
  inst.probe_failures = 0;
  inst.channel = std::make_shared<ScoringChannel>(SocketPath(inst));
  auto h = executor->Launch(ls);
  if (!h.ok()) {
    inst.state = InstanceState::kExited;
    return h.status();
  }
  ++inst.launches;
  inst.rec.supervisor_pid = h->supervisor_pid;
  inst.rec.supervisor_start = h->supervisor_start;
  inst.rec.process_pid = h->process_pid;
  return Status::Ok();
}

StatusOr<std::optional<StagedCopy>> EndpointService::State::StageIfMissing(
    const std::shared_ptr<LiveDeployment>& dep) {
  OnlineDeployment d;
  std::int64_t ws_id = 0;
  std::string ws;
  {
    std::lock_guard<std::mutex> lock(mu);
    d = dep->d;
    ws_id = dep->ws_id;
    ws = dep->ws;
  }
  if (FilesStaged(d)) return std::optional<StagedCopy>();
  spdlog::info("online deployment {}/{}: staging its files again (not on this server's disk)",
               d.endpoint_name, d.name);
  ASSIGN_OR_RETURN(StagedCopy copy, StagedCopy::Make(assets, options.root, ws_id, ws, d));
  return std::optional<StagedCopy>(std::move(copy));
}

void EndpointService::State::Provision(std::shared_ptr<LiveDeployment> dep, int generation) {
  nlohmann::json env;
  std::string ws;
  {
    std::lock_guard<std::mutex> lock(mu);
    env = dep->d.environment;
    ws = dep->ws;
  }
  // Files staged by another server, or removed since, are staged again from the stored spec,
  // without mu: a download can take minutes, and every endpoint operation needs mu.
  auto staged = StageIfMissing(dep);
  auto built = assets.PrepareEnvironment(ws, env);
  std::lock_guard<std::mutex> lock(mu);
  if (stopping || dep->d.generation != generation || dep->d.provisioning_state == "Deleting") {
    return;
  }
  if (!built.ok()) {
    FailProvisioning(*dep, generation, "environment: " + built.status().message());
    return;
  }
  if (!staged.ok()) {
    FailProvisioning(*dep, generation, "cannot start an instance: " + staged.status().message());
    return;
  }
  if (*staged && !FilesStaged(dep->d)) (*staged)->Publish(dep->d);
  dep->d.env_bin_dir = built->bin_dir;
  for (int i = 0; i < dep->d.instance_count; ++i) {
    auto inst = std::make_shared<Instance>();
    inst->rec.generation = generation;
    inst->rec.index = i;
    inst->rec.dir = (fs::path(options.root) / "i" / NewRunId().substr(0, 12)).string();
    Status st = LaunchInstance(*dep, *inst);
    if (!st.ok()) {
      FailProvisioning(*dep, generation, "cannot start an instance: " + st.message());
      return;
    }
    by_key[inst->key] = inst;
    dep_of_key[inst->key] = dep;
    dep->instances.push_back(inst);
  }
  SyncRecords(*dep);
  (void)PersistDeployment(*dep);
  cv.notify_all();
}

void EndpointService::State::FailProvisioning(LiveDeployment& dep, int generation,
                                              const std::string& why) {
  if (dep.d.generation != generation) return;
  spdlog::warn("online deployment {}/{} failed: {}", dep.d.endpoint_name, dep.d.name, why);
  RetireOnly(dep, generation);
  dep.d.provisioning_state = "Failed";
  dep.d.error = why;
  // An update that failed leaves the previous generation serving.
  dep.d.generation = generation - 1;
  dep.d.updated_ms = NowMillis();
  SyncRecords(dep);
  (void)PersistDeployment(dep);
  cv.notify_all();
}

void EndpointService::State::RetireGeneration(LiveDeployment& dep, int keep) {
  for (auto& i : dep.instances) {
    if (i->rec.generation != keep && i->state != InstanceState::kExited) {
      i->state = InstanceState::kRetiring;
    }
  }
}

void EndpointService::State::RetireOnly(LiveDeployment& dep, int generation) {
  for (auto& i : dep.instances) {
    if (i->rec.generation == generation && i->state != InstanceState::kExited) {
      i->state = InstanceState::kRetiring;
    }
  }
}

void EndpointService::State::RetireAll(LiveDeployment& dep) {
  for (auto& i : dep.instances) {
    if (i->state != InstanceState::kExited) i->state = InstanceState::kRetiring;
  }
  // Deleted deployments are not in the maps any more: stop what can stop now, the monitor
  // does not see them.
  for (auto& i : dep.instances) {
    if (i->state == InstanceState::kRetiring) {
      executor->Signal(HandleOf(i->rec), SIGTERM);
      i->state = InstanceState::kExited;
    }
  }
}

void EndpointService::State::Drain(LiveDeployment& dep, std::unique_lock<std::mutex>& lock) {
  const RequestSettings& rs = dep.d.request_settings;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(rs.request_timeout_ms + rs.max_queue_wait_ms);
  ++slot_waiters;  // a finished request notifies cv only when someone waits on it
  while ((dep.in_flight > 0 || dep.waiting > 0) && !stopping) {
    if (cv.wait_until(lock, deadline) == std::cv_status::timeout) break;
  }
  --slot_waiters;
}

void EndpointService::State::Adopt(LiveDeployment& dep) {
  auto self = dep.d.instances;
  dep.instances.clear();
  for (const auto& rec : self) {
    if (rec.generation != dep.d.generation || dep.d.provisioning_state == "Failed") {
      executor->Signal(HandleOf(rec), SIGTERM);
      continue;
    }
    auto inst = std::make_shared<Instance>();
    inst->rec = rec;
    inst->key = fmt::format("{}#{}", rec.dir, ++launch_seq);
    inst->channel = std::make_shared<ScoringChannel>(SocketPath(*inst));
    inst->state = InstanceState::kStarting;
    inst->launched_ms = NowMillis();
    inst->launches = 1;
    dep.instances.push_back(inst);
  }
  SyncRecords(dep);
}

void EndpointService::State::AttachRemote(LiveDeployment& dep) {
  for (auto& i : dep.instances) i->channel->CloseIdle();
  dep.instances.clear();
  for (const auto& rec : dep.d.instances) {
    auto inst = std::make_shared<Instance>();
    inst->rec = rec;
    inst->channel = std::make_shared<ScoringChannel>(SocketPath(*inst));
    inst->state = InstanceState::kStarting;  // ready once a probe answers
    inst->launches = 1;
    dep.instances.push_back(inst);
  }
}

void EndpointService::State::SettleInterrupted(LiveDeployment& dep) {
  // The server stopped while provisioning: the new generation never became current.
  if (dep.d.provisioning_state == "Creating") {
    dep.d.provisioning_state = "Failed";
    dep.d.error =
        "interrupted by a server restart while provisioning; update the "
        "deployment to start it again";
  } else if (dep.d.provisioning_state == "Updating") {
    dep.d.provisioning_state = "Succeeded";
    dep.d.error =
        "an update was interrupted by a server restart; the previous "
        "version keeps serving";
    dep.d.generation -= 1;
  }
}

void EndpointService::State::TakeOver(const std::shared_ptr<LiveDeployment>& dep,
                                      const std::string& holder) {
  bool same_host = holder.empty() || jobs::JobService::HostOfServer(holder) == jobs.host();
  spdlog::warn(
      "online deployment {}/{}: taking it over from server {} (its lease expired); {} its "
      "instances",
      dep->d.endpoint_name, dep->d.name, holder.empty() ? "?" : holder,
      same_host ? "re-adopting" : "starting again");
  for (auto& i : dep->instances) i->channel->CloseIdle();
  dep->instances.clear();
  dep->owned = true;
  SettleInterrupted(*dep);
  if (!same_host) dep->d.instances.clear();  // those processes run where this server cannot see
  Adopt(*dep);
  for (auto& i : dep->instances) {
    by_key[i->key] = i;
    dep_of_key[i->key] = dep;
    executor->Adopt(i->key, HandleOf(i->rec), i->rec.dir + "/exit");
  }
  RestoreStats(*dep);
  if (!same_host && dep->d.provisioning_state != "Failed" && dep->d.generation > 0) {
    // Stateless: the same spec, started here (its environment prepared on this host).
    int generation = dep->d.generation;
    provisioners.emplace_back([this, dep, generation] { Provision(dep, generation); });
  }
  (void)PersistDeployment(*dep);
}

void EndpointService::State::OnExit(const std::string& key, const jobs::ExitRecord& rec) {
  {
    std::lock_guard<std::mutex> lock(exit_mu);
    exits.emplace_back(key, rec);
  }
  monitor_cv.notify_all();
}

void EndpointService::State::HandleExit(const std::string& key, const jobs::ExitRecord& rec) {
  auto ik = by_key.find(key);
  auto dk = dep_of_key.find(key);
  std::shared_ptr<Instance> inst = ik == by_key.end() ? nullptr : ik->second.lock();
  std::shared_ptr<LiveDeployment> dep = dk == dep_of_key.end() ? nullptr : dk->second.lock();
  if (ik != by_key.end()) by_key.erase(ik);
  if (dk != dep_of_key.end()) dep_of_key.erase(dk);
  if (!inst || !dep || inst->key != key) return;
  InstanceState was = inst->state;
  if (was == InstanceState::kRetiring || was == InstanceState::kExited ||
      dep->d.provisioning_state == "Deleting") {
    inst->state = InstanceState::kExited;
    return;
  }
  std::string how = rec.lost ? "its supervisor is gone"
                             : (rec.signal != 0 ? fmt::format("killed by signal {}", rec.signal)
                                                : fmt::format("exit code {}", rec.exit_code));
  bool provisioning =
      (dep->d.provisioning_state == "Creating" || dep->d.provisioning_state == "Updating") &&
      inst->rec.generation == dep->d.generation;
  if (provisioning && was == InstanceState::kStarting && inst->launches > 0) {
    inst->state = InstanceState::kExited;
    FailProvisioning(*dep, inst->rec.generation,
                     fmt::format("instance {} exited before it was ready ({}); log tail:\n{}",
                                 inst->rec.index, how, LogTail(inst->rec.dir, 30)));
    return;
  }
  // A crashed (or adopted-but-gone) instance: start it again.
  spdlog::warn("online deployment {}/{}: instance {} ended ({}); restarting", dep->d.endpoint_name,
               dep->d.name, inst->rec.index, how);
  ++dep->metrics.restarts;
  if (!FilesStaged(dep->d)) {
    // Its files are staged again first, on a thread of its own without mu; it starts then.
    if (stopping) {
      inst->state = InstanceState::kExited;  // Stop() joins only the threads it saw
      return;
    }
    inst->state = InstanceState::kStarting;
    provisioners.emplace_back([this, dep, inst] {
      auto staged = StageIfMissing(dep);
      std::lock_guard<std::mutex> lock(mu);
      if (stopping || dep->d.provisioning_state == "Deleting" ||
          inst->state != InstanceState::kStarting) {
        return;  // stopped, deleted or retired meanwhile
      }
      if (!staged.ok()) {
        spdlog::error("cannot restart the instance: {}", staged.status().message());
        inst->state = InstanceState::kExited;
        return;
      }
      if (*staged && !FilesStaged(dep->d)) (*staged)->Publish(dep->d);
      Restart(dep, inst);
    });
    return;
  }
  Restart(dep, inst);
}

void EndpointService::State::Restart(const std::shared_ptr<LiveDeployment>& dep,
                                     const std::shared_ptr<Instance>& inst) {
  Status st = LaunchInstance(*dep, *inst);
  if (!st.ok()) {
    spdlog::error("cannot restart the instance: {}", st.message());
    inst->state = InstanceState::kExited;
    return;
  }
  by_key[inst->key] = inst;
  dep_of_key[inst->key] = dep;
  SyncRecords(*dep);
  (void)PersistDeployment(*dep);
}

void EndpointService::State::Tick() {
  std::deque<std::pair<std::string, jobs::ExitRecord>> ended;
  {
    std::lock_guard<std::mutex> lock(exit_mu);
    ended.swap(exits);
  }
  for (const auto& [key, rec] : ended) HandleExit(key, rec);
  std::int64_t now = NowMillis();
  for (auto& [ek, ep] : endpoints) {
    for (auto& [name, dep] : ep->deployments) {
      if (!dep->owned) continue;  // another server supervises it
      bool changed = false;
      for (auto& i : dep->instances) {
        if (i->state == InstanceState::kRetiring && i->in_flight == 0) {
          executor->Signal(HandleOf(i->rec), SIGTERM);
          i->channel->CloseIdle();
          i->state = InstanceState::kExited;
          changed = true;
        }
      }
      std::erase_if(dep->instances,
                    [](const auto& i) { return i->state == InstanceState::kExited; });
      const std::string& ps = dep->d.provisioning_state;
      if ((ps == "Creating" || ps == "Updating") && dep->provision_started_ms > 0 &&
          now - dep->provision_started_ms > options.start_timeout_s * 1000LL) {
        FailProvisioning(
            *dep, dep->d.generation,
            fmt::format("the instances were not ready within {} s", options.start_timeout_s));
        continue;
      }
      if (ps == "Creating" || ps == "Updating") {
        int ready = 0;
        for (auto& i : dep->instances) {
          ready += i->rec.generation == dep->d.generation && i->state == InstanceState::kReady;
        }
        if (ready == dep->d.instance_count) {
          dep->d.provisioning_state = "Succeeded";
          dep->d.error.clear();
          dep->d.updated_ms = now;
          RetireGeneration(*dep, dep->d.generation);
          PruneStaged(options.root, dep->ws_id, dep->d);  // the previous copies
          changed = true;
          cv.notify_all();
        }
      }
      if (changed) {
        SyncRecords(*dep);
        (void)PersistDeployment(*dep);
      }
    }
  }
}

void EndpointService::State::MonitorLoop() {
  // Adopted instances: the executor watches them from now on.
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [ek, ep] : endpoints) {
      for (auto& [name, dep] : ep->deployments) {
        if (!dep->owned) continue;
        for (auto& i : dep->instances) {
          by_key[i->key] = i;
          dep_of_key[i->key] = dep;
          executor->Adopt(i->key, HandleOf(i->rec), i->rec.dir + "/exit");
        }
      }
    }
  }
  std::unique_lock<std::mutex> lock(mu);
  while (!stopping) {
    monitor_cv.wait_for(lock, std::chrono::milliseconds(options.monitor_interval_ms));
    if (stopping) break;
    Tick();
    lock.unlock();
    FlushStats(/*force=*/false);
    LeaseRound();
    lock.lock();
    if (stopping) break;
    // Probes run without the lock: starting instances whose socket appeared, and live ones
    // whose liveness period elapsed.
    struct Probe {
      std::shared_ptr<LiveDeployment> dep;
      std::shared_ptr<Instance> inst;
      std::shared_ptr<ScoringChannel> channel;
      int timeout_ms;
    };
    std::vector<Probe> probes;
    std::int64_t now = NowMillis();
    for (auto& [ek, ep] : endpoints) {
      for (auto& [name, dep] : ep->deployments) {
        for (auto& i : dep->instances) {
          std::error_code ec;
          if (i->state == InstanceState::kStarting && fs::exists(SocketPath(*i), ec)) {
            probes.push_back({dep, i, i->channel, kStartPingTimeoutMs});
          } else if (i->state == InstanceState::kReady &&
                     now - i->last_probe_ms >= dep->d.liveness_probe.period_s * 1000LL) {
            i->last_probe_ms = now;
            probes.push_back({dep, i, i->channel, dep->d.liveness_probe.timeout_s * 1000});
          }
        }
      }
    }
    if (probes.empty()) continue;
    lock.unlock();
    std::vector<bool> ok;
    for (auto& p : probes) {
      auto r = p.channel->Call('P', "probe", "", p.timeout_ms);
      ok.push_back(r.ok() && !r->timed_out && r->status == 200);
    }
    lock.lock();
    for (size_t k = 0; k < probes.size(); ++k) {
      auto& i = probes[k].inst;
      if (i->channel != probes[k].channel) continue;  // relaunched meanwhile
      if (i->state == InstanceState::kStarting && ok[k]) {
        i->state = InstanceState::kReady;
        i->last_probe_ms = NowMillis();
        spdlog::info("online deployment {}/{}: instance {} ready", probes[k].dep->d.endpoint_name,
                     probes[k].dep->d.name, i->rec.index);
        cv.notify_all();
      } else if (i->state == InstanceState::kReady) {
        i->probe_failures = ok[k] ? 0 : i->probe_failures + 1;
        if (i->probe_failures >= probes[k].dep->d.liveness_probe.failure_threshold &&
            !probes[k].dep->owned) {
          i->probe_failures = 0;
          i->state = InstanceState::kStarting;  // another server's instance: its owner restarts it
        } else if (i->probe_failures >= probes[k].dep->d.liveness_probe.failure_threshold) {
          spdlog::warn("online deployment {}/{}: instance {} failed {} liveness probes; killing",
                       probes[k].dep->d.endpoint_name, probes[k].dep->d.name, i->rec.index,
                       i->probe_failures);
          i->probe_failures = 0;
          executor->Signal(HandleOf(i->rec), SIGKILL);
        }
      }
    }
  }
}

}  // namespace mlws::serving
