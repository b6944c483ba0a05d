#include "mlws/assets/environment_builder.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "mlws/common/sha256.h"

namespace mlws::assets {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Runs argv with stdout+stderr appended to `log`; returns the exit status (or -1).
int RunLogged(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct Requirements {
  std::vector<std::string> lines;
  std::string note;
};

// The pip requirements an environment spec asks for.
StatusOr<Requirements> RequirementsOf(const json& spec, const std::string& files_root) {
  Requirements r;
  std::vector<std::string> converted;
  if (spec.contains("conda_file") && spec["conda_file"].is_object()) {
    const json& deps = spec["conda_file"].value("dependencies", json::array());
    if (!deps.is_array()) return InvalidArgument("conda_file: 'dependencies' must be a list");
    for (const auto& d : deps) {
      if (d.is_object() && d.contains("pip")) {
        if (!d["pip"].is_array()) return InvalidArgument("conda_file: 'pip' must be a list");
        for (const auto& p : d["pip"]) {
          if (p.is_string()) r.lines.push_back(p.get<std::string>());
        }
      } else if (d.is_string()) {
        std::string pkg = d.get<std::string>();
        std::string name = pkg.substr(0, pkg.find_first_of("=<> "));
        if (name == "python" || name == "pip") continue;
        // conda "name=1.2" -> pip "name==1.2"
        size_t eq = pkg.find('=');
        if (eq != std::string::npos && pkg.compare(eq, 2, "==") != 0) pkg.insert(eq, "=");
        r.lines.push_back(pkg);
        converted.push_back(name);
      }
    }
  }
  if (spec.contains("pip_requirements") && spec["pip_requirements"].is_array()) {
    for (const auto& p : spec["pip_requirements"]) {
      if (p.is_string()) r.lines.push_back(p.get<std::string>());
    }
  }
  if (spec.contains("build") && !files_root.empty()) {
    std::ifstream in(fs::path(files_root) / "requirements.txt");
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line[0] != '#') r.lines.push_back(line);
    }
  }
  if (!converted.empty()) {
    std::string names;
    for (const auto& n : converted) names += (names.empty() ? "" : ", ") + n;
    r.note = "conda packages installed from PyPI with pip: " + names;
  }
  return r;
}

}  // namespace

struct EnvironmentBuilder::State {
  std::string root;
  std::string python;
  CommandWrapper sandbox;  // set once before the first build; empty = none
};

EnvironmentBuilder::EnvironmentBuilder(std::string envs_root, std::string python)
    : state_(new State{std::move(envs_root), std::move(python), {}}) {}

EnvironmentBuilder::~EnvironmentBuilder() { delete state_; }

StatusOr<BuiltEnvironment> EnvironmentBuilder::Ensure(const Asset& environment,
                                                      const std::string& files_root) {
  json spec = json::parse(environment.spec_json, nullptr, false);
  if (!spec.is_object()) return Internal("environment spec is not an object");
  ASSIGN_OR_RETURN(Requirements req, RequirementsOf(spec, files_root));
  BuiltEnvironment out;
  std::string image = spec.value("image", "");
  if (req.lines.empty()) {
    out.host_interpreter = true;
    out.python = state_->python;
    out.note = image.empty() ? "no requirements: the host interpreter runs the job"
                             : "image " + image +
                                   " not used: no container runtime is configured, the host "
                                   "interpreter runs the job";
    return out;
  }
  std::string text;
  for (const auto& l : req.lines) text += l + "\n";
  out.hash = Sha256Hex("mlws-env-v1\n" + text);
  fs::path dir = fs::path(state_->root) / out.hash;
  out.bin_dir = (dir / "venv" / "bin").string();
  out.python = (dir / "venv" / "bin" / "python").string();
  out.log_path = (dir / "build.log").string();
  out.note = req.note;
  if (!image.empty()) {
    out.note += std::string(out.note.empty() ? "" : "; ") + "image " + image +
                " not used: no container runtime is configured";
  }
  std::error_code ec;
  if (fs::exists(dir / ".ready", ec)) return out;
  auto finish = [&](Status st) -> StatusOr<BuiltEnvironment> {
    if (!st.ok()) return st;
    return out;
  };
  fs::create_directories(dir, ec);
  if (ec) return finish(Internal(fmt::format("cannot create {}: {}", dir.string(), ec.message())));
  // Each environment is built once, by one thread of one server, even by servers sharing the
  // folder (--environments-dir): the build holds an exclusive lock on <hash>.lock (flock locks
  // belong to the open descriptor, so two threads of a server exclude each other too), and one
  // that waited for it finds the build ready. A killed build leaves no lock behind.
  int lock_fd = ::open((fs::path(state_->root) / (out.hash + ".lock")).c_str(),
                       O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) {
    return finish(Internal(
        fmt::format("cannot open the build lock in {}: {}", state_->root, std::strerror(errno))));
  }
  struct LockGuard {
    int fd;
    ~LockGuard() { ::close(fd); }
  } lock_guard{lock_fd};
  while (::flock(lock_fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      return finish(
          Internal(fmt::format("cannot lock the build of {}: {}", out.hash, std::strerror(errno))));
    }
  }
  if (fs::exists(dir / ".ready", ec)) return finish(Status::Ok());
  // A folder without .ready is a failed or interrupted build: start again (keeping no state).
  fs::remove_all(dir / "venv", ec);
  {
    std::ofstream r(dir / "requirements.txt", std::ios::trunc);
    r << text;
    std::ofstream log(out.log_path, std::ios::trunc);
    log << "# mlws environment " << environment.name << ":" << environment.version << " ("
        << out.hash << ")\n";
    if (!out.note.empty()) log << "# " << out.note << "\n";
  }
  auto failed = [&](const std::string& step) {
    return finish(
        Status(ErrorCode::kInvalidParameterValue,
               fmt::format("environment build failed: {} (build {}; its log: `mlws environment "
                           "build-log {}`, {} on the server)",
                           step, out.hash, out.hash, out.log_path)));
  };
  // Sandboxed, the build writes only its own folder, with a private HOME (so no pip cache is
  // shared between builds: one build cannot plant files another one installs).
  auto build_step = [&](std::vector<std::string> cmd) {
    if (!state_->sandbox) return cmd;
    cmd.insert(cmd.begin(), {"/usr/bin/env", "HOME=/tmp"});
    return state_->sandbox(cmd, dir.string());
  };
  if (RunLogged(build_step({state_->python, "-m", "venv", (dir / "venv").string()}),
                out.log_path) != 0) {
    return failed("could not create the virtualenv");
  }
  if (RunLogged(build_step({out.python, "-m", "pip", "install", "--disable-pip-version-check",
                            "--no-input", "--progress-bar", "off", "-r",
                            (dir / "requirements.txt").string()}),
                out.log_path) != 0) {
    return failed("pip install failed");
  }
  std::ofstream(dir / ".ready") << "ok\n";
  return finish(Status::Ok());
}

void EnvironmentBuilder::SetSandbox(CommandWrapper wrapper) {
  state_->sandbox = std::move(wrapper);
}

StatusOr<std::string> EnvironmentBuilder::LogPath(const std::string& hash) const {
  bool ok = hash.size() == 64 && hash.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!ok) return InvalidArgument("an environment build is named by a 64-digit hex hash");
  fs::path p = fs::path(state_->root) / hash / "build.log";
  std::error_code ec;
  if (!fs::exists(p, ec)) return NotFound("no build of environment " + hash + " on this server");
  return p.string();
}

}  // namespace mlws::assets
