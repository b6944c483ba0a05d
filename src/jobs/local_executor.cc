// The local executor: fork-based supervisors (see executor.h) watched through pidfds.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "mlws/common/env.h"
#include "mlws/common/ids.h"
#include "mlws/jobs/executor.h"

namespace mlws::jobs {

namespace {

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); 0 if the process is gone.
std::int64_t ProcStartTime(std::int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  auto paren = line.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream rest(line.substr(paren + 2));
  std::string field;
  // Fields after the command: state is field 3; start time is field 22.
  for (int i = 3; i <= 22; ++i) {
    if (!(rest >> field)) return 0;
  }
  try {
    return std::stoll(field);
  } catch (...) {
    return 0;
  }
}

bool SupervisorAlive(const ProcessHandle& h) {
  if (h.supervisor_pid <= 0) return false;
  if (kill(static_cast<pid_t>(h.supervisor_pid), 0) != 0) return false;
  std::int64_t start = ProcStartTime(h.supervisor_pid);
  if (start == 0) return false;
  return h.supervisor_start == 0 || start == h.supervisor_start;
}

class LocalExecutor final : public Executor {
 public:
  LocalExecutor(ExitFn on_exit, std::string supervisor, Env* env)
      : on_exit_(std::move(on_exit)), supervisor_(std::move(supervisor)), env_(*env) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
    thread_ = std::thread([this] { Loop(); });
  }
  ~LocalExecutor() override {
    Stop();
    close(epoll_);
    close(wake_);
  }

  StatusOr<ProcessHandle> Launch(const LaunchSpec& spec) override {
    if (supervisor_.empty()) return NoSupervisor();
    return Spawn(spec);
  }

  void Adopt(const std::string& key, const ProcessHandle& handle,
             const std::string& exit_path) override {
    Watch(key, handle, exit_path);
  }

  void Signal(const ProcessHandle& h, int sig) override {
    if (h.process_pid <= 0 || !SupervisorAlive(h)) return;
    kill(-static_cast<pid_t>(h.process_pid), sig);
  }

  void Stop() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    std::uint64_t one = 1;
    (void)!write(wake_, &one, sizeof one);
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [fd, w] : watches_) close(fd);
    watches_.clear();
  }

 private:
  static Status NoSupervisor() {
    return Status(ErrorCode::kTemporarilyUnavailable,
                  "mlws-job-supervisor was not found next to the mlws binary: jobs cannot start "
                  "(reinstall mlws with it)");
  }

  // posix_spawn (vfork-cheap even for a large server) of the mlws-job-supervisor binary, in two
  // halves so many supervisors can start in parallel: Begin spawns, End reads the pids.
  struct Pending {
    pid_t pid = 0;
    int fd = -1;
  };

  StatusOr<Pending> SpawnBegin(const LaunchSpec& spec) {
    std::vector<std::string> args = {supervisor_};
    if (!spec.sandbox_argv.empty()) args.push_back("--sandboxed");
    args.insert(args.end(), {spec.work_dir, spec.log_path, spec.exit_path});
    if (spec.sandbox_argv.empty()) {
      args.insert(args.end(), {DefaultShell(), "-c", spec.command});
    } else {
      args.insert(args.end(), spec.sandbox_argv.begin(), spec.sandbox_argv.end());
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return Internal(std::string("pipe: ") + strerror(errno));
    // Through the Env seam (common/env.h): the pipe's write end is the supervisor's fd 3, on
    // which it reports its own pid and the job process's; a new session, signals at default.
    auto pid = env_.Spawn(args, spec.env, {.fd3 = fds[1], .new_session = true});
    close(fds[1]);
    if (!pid.ok()) {
      close(fds[0]);
      return Status(ErrorCode::kTemporarilyUnavailable, pid.status().message());
    }
    return Pending{*pid, fds[0]};
  }

  StatusOr<ProcessHandle> SpawnEnd(const LaunchSpec& spec, const Pending& p) {
    std::int64_t pids[2] = {0, 0};
    size_t got = 0;
    auto* dst = reinterpret_cast<char*>(pids);
    while (got < sizeof pids) {
      ssize_t r = read(p.fd, dst + got, sizeof pids - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    close(p.fd);
    int st = 0;
    while (waitpid(p.pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (got < sizeof pids || pids[1] == 0) {
      return Internal("the job's supervisor failed to start the job process");
    }
    ProcessHandle h;
    h.supervisor_pid = pids[0];
    h.supervisor_start = ProcStartTime(pids[0]);
    h.process_pid = pids[1];
    h.started_ms = env_.NowMillis();
    Watch(spec.key, h, spec.exit_path);
    return h;
  }

  StatusOr<ProcessHandle> Spawn(const LaunchSpec& spec) {
    ASSIGN_OR_RETURN(Pending p, SpawnBegin(spec));
    return SpawnEnd(spec, p);
  }

 public:
  std::vector<StatusOr<ProcessHandle>> LaunchMany(const std::vector<LaunchSpec>& specs) override {
    std::vector<StatusOr<ProcessHandle>> out;
    if (supervisor_.empty()) {
      for (size_t i = 0; i < specs.size(); ++i) out.push_back(NoSupervisor());
      return out;
    }
    // In waves, so a huge batch does not hold thousands of pipes at once.
    constexpr size_t kWave = 64;
    for (size_t start = 0; start < specs.size(); start += kWave) {
      size_t end = std::min(specs.size(), start + kWave);
      std::vector<StatusOr<Pending>> pending;
      for (size_t i = start; i < end; ++i) pending.push_back(SpawnBegin(specs[i]));
      for (size_t i = start; i < end; ++i) {
        auto& p = pending[i - start];
        if (!p.ok()) {
          out.push_back(p.status());
        } else {
          out.push_back(SpawnEnd(specs[i], *p));
        }
      }
    }
    return out;
  }

 private:
  struct WatchEntry {
    std::string key;
    std::string exit_path;
  };

  // Watches the supervisor through a pidfd; when that is impossible (already gone), reports the
  // exit file's content right away.
  void Watch(const std::string& key, const ProcessHandle& h, const std::string& exit_path) {
    int pidfd = -1;
    if (h.supervisor_pid > 0 && (h.supervisor_start == 0 || SupervisorAlive(h))) {
      pidfd = PidfdOpen(static_cast<pid_t>(h.supervisor_pid));
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (pidfd < 0) {
      ready_.push_back({key, exit_path});
      std::uint64_t one = 1;
      (void)!write(wake_, &one, sizeof one);
      return;
    }
    fcntl(pidfd, F_SETFD, FD_CLOEXEC);
    watches_[pidfd] = {key, exit_path};
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = pidfd;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, pidfd, &ev);
  }

  void Loop() {
    std::vector<epoll_event> events(256);
    for (;;) {
      int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 1000);
      std::vector<WatchEntry> done;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
        for (int i = 0; i < n; ++i) {
          int fd = events[i].data.fd;
          if (fd == wake_) {
            std::uint64_t v;
            (void)!read(wake_, &v, sizeof v);
            continue;
          }
          auto it = watches_.find(fd);
          if (it == watches_.end()) continue;
          epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
          close(fd);
          done.push_back(std::move(it->second));
          watches_.erase(it);
        }
        for (auto& r : ready_) done.push_back(std::move(r));
        ready_.clear();
      }
      for (const auto& w : done) {
        auto rec = ReadExitFile(w.exit_path);
        if (!rec) {
          ExitRecord lost;
          lost.lost = true;
          rec = lost;
        }
        on_exit_(w.key, *rec);
      }
    }
  }

  ExitFn on_exit_;
  std::string supervisor_;  // mlws-job-supervisor; "" = fork the supervisor from this process
  Env& env_;                // spawns the supervisors; the wall clock of started_ms
  int epoll_ = -1;
  int wake_ = -1;
  std::mutex mu_;
  std::map<int, WatchEntry> watches_;  // guarded by mu_ (pidfd -> job)
  std::vector<WatchEntry> ready_;      // guarded by mu_: to report without a pidfd
  bool stopping_ = false;              // guarded by mu_
  std::thread thread_;
};

}  // namespace

std::string DefaultShell() { return access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh"; }

std::optional<ExitRecord> ReadExitFile(const std::string& path) {
  std::ifstream in(path);
  ExitRecord r;
  if (!(in >> r.exit_code >> r.signal >> r.ended_at)) return std::nullopt;
  return r;
}

std::optional<StartedRecord> ReadStartedFile(const std::string& exit_path) {
  std::ifstream in(exit_path + ".started");
  StartedRecord r;
  if (!(in >> r.supervisor_pid >> r.process_pid >> r.started_at)) return std::nullopt;
  if (r.supervisor_pid <= 0 || r.process_pid <= 0) return std::nullopt;
  return r;
}

std::unique_ptr<Executor> NewLocalExecutor(ExitFn on_exit, const std::string& supervisor,
                                           Env* env) {
  return std::make_unique<LocalExecutor>(std::move(on_exit), supervisor,
                                         env != nullptr ? env : Env::Default());
}

}  // namespace mlws::jobs
