// The bubblewrap command line of a job (see include/mlws/jobs/sandbox.h).
#include "mlws/jobs/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>

extern char** environ;

namespace mlws::jobs {

namespace {

// Folders the system part mounts; anything below them is already visible (read-only).
constexpr const char* kSystemDirs[] = {"/usr", "/etc",   "/bin",   "/sbin",
                                       "/lib", "/lib32", "/lib64", "/libx32"};
// Mount points the sandbox creates itself.
constexpr const char* kOwnDirs[] = {"/tmp", "/proc", "/dev"};

bool Under(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

bool UnderSystem(const std::string& path) {
  for (const char* d : kSystemDirs) {
    if (Under(path, d)) return true;
  }
  return false;
}

std::string Normalize(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// Creates (0755) the folders leading to `target` that the sandbox does not have yet.
void AddParents(const std::string& target, std::set<std::string>& made,
                std::vector<std::string>& args) {
  for (size_t pos = target.find('/', 1); pos != std::string::npos;
       pos = target.find('/', pos + 1)) {
    std::string dir = target.substr(0, pos);
    if (made.count(dir) || UnderSystem(dir)) continue;
    bool own = false;
    for (const char* d : kOwnDirs) own = own || dir == d;
    if (own) continue;
    made.insert(dir);
    args.insert(args.end(), {"--perms", "0755", "--dir", dir});
  }
}

}  // namespace

std::vector<std::string> SystemMountArgs(const std::string& root) {
  std::vector<std::string> args = {"--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"};
  for (const char* d : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    std::string host = root + d;
    struct stat st;
    if (lstat(host.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = readlink(host.c_str(), buf, sizeof buf - 1);
      if (n <= 0) continue;
      args.insert(args.end(), {"--symlink", std::string(buf, static_cast<size_t>(n)), d});
    } else if (S_ISDIR(st.st_mode)) {
      args.insert(args.end(), {"--ro-bind", d, d});
    }
  }
  return args;
}

std::vector<std::string> SandboxArgv(const SandboxSpec& spec,
                                     const std::vector<std::string>& command) {
  // No UTS namespace: a private hostname protects nothing, and each namespace costs start time.
  std::vector<std::string> args = {spec.bwrap, "--die-with-parent", "--unshare-pid",
                                   "--unshare-ipc", "--unshare-cgroup-try"};
  // The host's system layout does not change while the server runs: looked at once.
  static const std::vector<std::string> sys = SystemMountArgs();
  args.insert(args.end(), sys.begin(), sys.end());
  args.insert(args.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"});

  struct Bind {
    std::string source, target;
    bool writable;
  };
  std::vector<Bind> binds;
  for (const auto& p : spec.read_only) {
    std::string n = Normalize(p);
    if (n.empty() || n == "/" || UnderSystem(n) || access(n.c_str(), F_OK) != 0) continue;
    binds.push_back({n, n, false});
  }
  if (!spec.helper.empty() && !UnderSystem(spec.helper)) {
    binds.push_back({spec.helper, spec.helper, false});
  }
  binds.push_back({Normalize(spec.work_dir), Normalize(spec.work_dir), true});
  for (const auto& m : spec.mounts) {
    std::string t = Normalize(m.target);
    if (!m.writable && UnderSystem(t) && Normalize(m.source) == t) continue;  // visible already
    binds.push_back({Normalize(m.source), t, m.writable});
  }
  // Parents before children, so a bind inside another one lands in it, not under it.
  std::stable_sort(binds.begin(), binds.end(), [](const Bind& a, const Bind& b) {
    return std::count(a.target.begin(), a.target.end(), '/') <
           std::count(b.target.begin(), b.target.end(), '/');
  });
  std::set<std::string> made;
  std::set<std::string> bound;
  std::set<std::string> same_ro;  // read-only binds of a host folder at its own path
  for (const auto& b : binds) {
    if (bound.count(b.target)) continue;
    bool inside_bound = false;
    bool inside_same_ro = false;
    for (const auto& d : bound) inside_bound = inside_bound || Under(b.target, d);
    for (const auto& d : same_ro) inside_same_ro = inside_same_ro || Under(b.target, d);
    if (!b.writable && b.source == b.target && inside_same_ro) continue;  // visible already
    if (!b.writable && b.source == b.target) same_ro.insert(b.target);
    if (!inside_bound) AddParents(b.target, made, args);
    args.insert(args.end(), {b.writable ? "--bind" : "--ro-bind", b.source, b.target});
    bound.insert(b.target);
    made.insert(b.target);
  }
  args.insert(args.end(), {"--chdir", Normalize(spec.work_dir), "--"});
  args.insert(args.end(),
              {spec.helper, "--exec-as", std::to_string(spec.uid), std::to_string(spec.gid), "--"});
  args.insert(args.end(), command.begin(), command.end());
  return args;
}

std::vector<std::string> InterpreterPaths(const std::string& path_env,
                                          const std::string& pyenv_root) {
  std::vector<std::string> out;
  auto add = [&](const std::string& p) {
    std::string n = Normalize(p);
    if (n.empty() || n == "/" || UnderSystem(n)) return;
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  };
  if (!pyenv_root.empty() && access(pyenv_root.c_str(), F_OK) == 0) add(pyenv_root);
  for (const char* name : {"python3", "python"}) {
    size_t start = 0;
    while (start <= path_env.size()) {
      size_t end = path_env.find(':', start);
      if (end == std::string::npos) end = path_env.size();
      std::string dir = path_env.substr(start, end - start);
      start = end + 1;
      if (dir.empty() || dir[0] != '/') continue;
      std::string file = dir + "/" + name;
      if (access(file.c_str(), X_OK) != 0) continue;
      std::string parent = dir.substr(0, dir.rfind('/'));
      add(parent.empty() ? dir : parent);
      char real[PATH_MAX];
      if (realpath(file.c_str(), real) != nullptr) {
        std::string r = real;
        std::string bin = r.substr(0, r.rfind('/'));
        add(bin.substr(0, bin.rfind('/')));
      }
      break;  // the first one on PATH is the one a job runs
    }
  }
  return out;
}

Status SandboxSelfCheck(const SandboxSpec& base) {
  if (access(base.bwrap.c_str(), X_OK) != 0) {
    return Status(ErrorCode::kTemporarilyUnavailable,
                  base.bwrap + " is missing (install the Debian package bubblewrap)");
  }
  if (base.helper.empty() || access(base.helper.c_str(), X_OK) != 0) {
    return Status(ErrorCode::kTemporarilyUnavailable, "mlws-job-supervisor is missing");
  }
  char dir_template[] = "/tmp/mlws-sandbox-check-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    return Internal(std::string("mkdtemp: ") + strerror(errno));
  }
  std::string dir = dir_template;
  if (base.uid >= 0)
    (void)!chown(dir.c_str(), static_cast<uid_t>(base.uid), static_cast<gid_t>(base.gid));
  SandboxSpec spec = base;
  spec.work_dir = dir;
  spec.mounts.clear();
  // The job's user must be able to write its folder, and be that user.
  std::string script = "touch ./ok";
  if (spec.uid >= 0) script += " && [ \"$(id -u)\" = " + std::to_string(spec.uid) + " ]";
  auto args = SandboxArgv(spec, {"/bin/sh", "-c", script});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, spec.bwrap.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  Status out = Status::Ok();
  if (rc != 0) {
    out = Status(ErrorCode::kTemporarilyUnavailable,
                 "cannot start " + spec.bwrap + ": " + strerror(rc));
  } else {
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    std::string ok = dir + "/ok";
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || access(ok.c_str(), F_OK) != 0) {
      out = Status(ErrorCode::kTemporarilyUnavailable,
                   spec.bwrap + " cannot create a sandbox here (exit status " +
                       std::to_string(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st)) +
                       "; user namespaces disabled?)");
    }
  }
  unlink((dir + "/ok").c_str());
  rmdir(dir.c_str());
  return out;
}

}  // namespace mlws::jobs
