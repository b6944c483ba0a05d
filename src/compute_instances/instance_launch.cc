// Compute instances: launching a lab (its command line, environment and sandbox).
#include <fmt/format.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "compute_instances/instance_state.h"
#include "jobs/command.h"
#include "mlws/assets/datastore_io.h"
#include "mlws/common/ids.h"

namespace mlws::compute_instances {

namespace fs = std::filesystem;

namespace {

using jobs::ShellQuote;

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

}  // namespace

std::string LogTail(const std::string& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  in.seekg(std::max<std::streamoff>(0, size - static_cast<std::streamoff>(bytes)));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Launches the lab (with mu). On failure the instance is Failed with the reason.
Status ComputeInstanceService::State::Launch(Live& l) {
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
  if (l.dir.empty()) {
    l.dir = (fs::path(options.root) / NewRunId().substr(0, 12)).string();
  }
  std::error_code ec;
  fs::create_directories(l.dir, ec);
  if (ec) return Internal("cannot create " + l.dir + ": " + ec.message());
  ASSIGN_OR_RETURN(std::string files, StageFiles(l));
  // The sandbox's /tmp is not the job user's to write: Jupyter's home (config, runtime files,
  // IPython history) is a hidden folder of the instance's own files, which Jupyter hides (on a
  // blob store, a folder beside the staged files, so it is not written back).
  std::string home = l.remote_files ? l.dir + "/work/home" : files + "/.mlws-home";
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
    if (l.remote_files) {
      // Jupyter's home is beside the files here: the sandbox may write both (not the log and
      // exit files of <dir>).
      ls.sandbox_argv =
          jobs.SandboxedCommand({jobs::DefaultShell(), "-c", ls.command}, l.dir + "/work", {venv});
    }
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

StatusOr<std::string> ComputeInstanceService::State::StageFiles(Live& l) {
  ASSIGN_OR_RETURN(assets::DatastoreLocation at, assets.Locate(l.ws, l.FilesUri()));
  std::error_code ec;
  if (!at.remote()) {
    l.remote_files.reset();
    fs::create_directories(at.local_path, ec);
    if (ec) return Internal("cannot create " + at.local_path + ": " + ec.message());
    return at.local_path;
  }
  // A blob store (s3:// destination): the lab works on a copy, fetched now and written back at
  // each stop and every sync interval (SyncFiles).
  std::string files = l.FilesCopy();
  fs::remove_all(l.dir + "/work", ec);
  Status st = assets::DownloadPath(at, files);
  if (!st.ok() && st.code() != ErrorCode::kResourceDoesNotExist) {
    return Status(st.code(), fmt::format("cannot fetch Users/{} from {}: {}", l.owner,
                                         at.blobs->Uri(), st.message()));
  }
  fs::create_directories(files, ec);
  if (ec) return Internal("cannot create " + files + ": " + ec.message());
  l.remote_files = at;
  l.next_sync = NowMillis() + kFileSyncMs;
  return files;
}

Status ComputeInstanceService::State::SyncFiles(const assets::DatastoreLocation& at,
                                                const std::string& dir, const std::string& what) {
  auto written = assets::UploadPath(dir, at);
  if (!written.ok()) {
    spdlog::warn("compute instance {}: cannot write its files back to {}: {}", what,
                 at.blobs->Uri(), written.status().message());
    return written.status();
  }
  return Status::Ok();
}

}  // namespace mlws::compute_instances
