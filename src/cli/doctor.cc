// `mlws doctor` (doctor.h): the checks, in the order the server opens what they check.
#include "cli/doctor.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "mlws/artifacts/artifact_store.h"
#include "mlws/jobs/sandbox.h"
#include "mlws/store/metadata_store.h"
#include "mlws/store/store_uri.h"

namespace mlws::cli {
namespace {

namespace fs = std::filesystem;

struct Report {
  int failed = 0;
  void Line(const char* verdict, const std::string& what, const std::string& detail) {
    std::printf("%-4s  %-18s %s\n", verdict, what.c_str(), detail.c_str());
    std::fflush(stdout);
  }
  void Ok(const std::string& what, const std::string& detail) { Line("OK", what, detail); }
  void Skip(const std::string& what, const std::string& detail) { Line("SKIP", what, detail); }
  void Fail(const std::string& what, const std::string& detail) {
    ++failed;
    Line("FAIL", what, detail);
  }
};

fs::path ExeDir() {
  std::error_code ec;
  return fs::read_symlink("/proc/self/exe", ec).parent_path();
}

// The first executable `name` on $PATH ("" = none).
std::string OnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return "";
}

// Runs a shell command line (bounded by `timeout 10`); returns its exit code and first line.
int Run(const std::string& cmd, std::string& first_line) {
  FILE* f = ::popen(("timeout 10 " + cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) return -1;
  char buf[512];
  first_line.clear();
  bool first = true;
  while (std::fgets(buf, sizeof buf, f) != nullptr) {
    if (first) first_line = buf;
    first = false;
  }
  while (!first_line.empty() && (first_line.back() == '\n' || first_line.back() == '\r')) {
    first_line.pop_back();
  }
  int rc = ::pclose(f);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void CheckHome(Report& r, const std::string& home) {
  std::error_code ec;
  fs::create_directories(home, ec);
  if (ec) return r.Fail("home", fmt::format("{}: cannot create it: {}", home, ec.message()));
  fs::path probe = fs::path(home) / (".doctor-" + std::to_string(getpid()));
  FILE* f = std::fopen(probe.c_str(), "w");
  if (f == nullptr) return r.Fail("home", fmt::format("{}: not writable by this user", home));
  std::fclose(f);
  fs::remove(probe, ec);
  r.Ok("home", home + ": writable");
}

// The servers that heartbeat in the last minute, each with the URL it advertises
// (--advertise-url); older rows are servers that stopped, only counted.
void ReportServers(Report& r, const std::vector<store::ServerRecord>& servers) {
  std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  int stopped = 0;
  for (const auto& s : servers) {
    std::int64_t age_s = std::max<std::int64_t>(0, (now - s.heartbeat_at) / 1000);
    if (age_s > 60) {
      ++stopped;
      continue;
    }
    r.Ok("server", fmt::format("{} at {}: last heartbeat {} s ago", s.id,
                               s.url.empty() ? "(no URL recorded)" : s.url, age_s));
  }
  if (stopped > 0) {
    r.Skip("server", fmt::format("{} more registered without a heartbeat in the last minute "
                                 "(stopped or dead)",
                                 stopped));
  }
}

// The store; returns the workspaces' Slurm computes (for the Slurm check), or -1 if unknown.
int CheckStore(Report& r, const std::string& uri) {
  std::string shown = store::RedactStoreUri(uri);
  auto store = store::OpenMetadataStore(uri);
  if (!store.ok()) {
    r.Fail("backend store", fmt::format("{}: {}", shown, store.status().message()));
    return -1;
  }
  auto workspaces = (*store)->workspaces().ListWorkspaces();
  if (!workspaces.ok()) {
    // A new database: the server creates its tables at its first start.
    r.Ok("backend store", shown + ": reachable (no mlws tables yet: the server creates them)");
    return 0;
  }
  int slurm = 0;
  for (const auto& w : *workspaces) {
    auto computes = (*store)->jobs().ListComputes(w.id);
    if (!computes.ok()) continue;
    for (const auto& c : *computes) slurm += c.type == "slurm" ? 1 : 0;
  }
  auto servers = (*store)->leases().ListServers();
  std::string extra = servers.ok() ? fmt::format(", {} server(s) registered", servers->size()) : "";
  r.Ok("backend store",
       fmt::format("{}: reachable, {} workspace(s){}", shown, workspaces->size(), extra));
  if (servers.ok()) ReportServers(r, *servers);
  (*store)->Close();
  return slurm;
}

void CheckArtifacts(Report& r, const server::Config& cfg) {
  bool s3 = cfg.artifacts_destination.rfind("s3://", 0) == 0;
  artifacts::S3Options opt;
  opt.endpoint_url = cfg.s3_endpoint_url;
  opt.region = cfg.s3_region;
  if (!cfg.s3_path_style.empty()) opt.path_style = cfg.s3_path_style == "true";
  opt.connect_timeout_ms = cfg.s3_connect_timeout_ms;
  auto store = artifacts::OpenArtifactStore(cfg.artifacts_destination, opt, cfg.home + "/staging");
  if (!store.ok()) {
    r.Fail("artifacts", fmt::format("{}: {}", cfg.artifacts_destination, store.status().message()));
  } else {
    r.Ok("artifacts", cfg.artifacts_destination +
                          (s3 ? ": bucket reachable, credentials accepted" : ": folder usable"));
  }
  if (!s3) {
    r.Skip("s3 endpoint", "not used (artifacts are on a local folder)");
    return;
  }
  std::string endpoint = cfg.s3_endpoint_url;
  for (const char* env : {"MLFLOW_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL"}) {
    if (endpoint.empty() && std::getenv(env) != nullptr) endpoint = std::getenv(env);
  }
  if (endpoint.empty()) endpoint = "AWS S3";
  bool creds = std::getenv("AWS_ACCESS_KEY_ID") != nullptr &&
               std::getenv("AWS_SECRET_ACCESS_KEY") != nullptr;
  if (!creds) {
    r.Fail("s3 endpoint", endpoint + ": AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
  } else if (store.ok()) {
    r.Ok("s3 endpoint", endpoint + ": answered (key id and secret not shown)");
  } else {
    r.Fail("s3 endpoint", endpoint + ": see the artifacts line");
  }
}

void CheckSlurm(Report& r, int slurm_computes) {
  std::vector<std::string> missing;
  for (const char* tool : {"sbatch", "squeue", "scancel", "scontrol"}) {
    if (OnPath(tool).empty()) missing.emplace_back(tool);
  }
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
  if (slurm_computes <= 0) {
    // Not needed: the controller is not asked (it may take seconds to time out).
    return r.Skip("slurm", missing.empty() ? "no slurm compute is attached (Slurm tools found)"
                                           : "no slurm compute is attached; not on PATH: " + list);
  }
  std::string need = fmt::format("{} slurm compute(s) attached", slurm_computes);
  if (!missing.empty()) return r.Fail("slurm", fmt::format("{} but not on PATH: {}", need, list));
  std::string line;
  int rc = Run("squeue -h -o %i -u nobody", line);
  if (rc != 0) {
    return r.Fail("slurm", fmt::format("{}; {}", need,
                                       rc == 124 ? "squeue did not answer within 10 s"
                                                 : "squeue failed: " + line));
  }
  r.Ok("slurm", need + "; sbatch, squeue, scancel, scontrol found and the controller answers");
}

void CheckSandbox(Report& r, const server::Config& cfg) {
  fs::path sup = ExeDir() / "mlws-job-supervisor";
  if (access(sup.c_str(), X_OK) != 0) {
    r.Fail("job supervisor", sup.string() + ": missing, jobs cannot start");
    return r.Skip("bubblewrap", "needs the job supervisor");
  }
  r.Ok("job supervisor", sup.string());
  jobs::SandboxSpec spec;
  if (const char* b = std::getenv("MLWS_JOB_BWRAP"); b != nullptr && *b != 0) spec.bwrap = b;
  spec.helper = sup.string();
  if (geteuid() == 0) {
    spec.uid = cfg.job_uid;
    spec.gid = cfg.job_gid;
  }
  Status st = jobs::SandboxSelfCheck(spec);
  if (st.ok()) return r.Ok("bubblewrap", spec.bwrap + ": the job sandbox works");
  std::string why = fmt::format("{}: {}", spec.bwrap, st.message());
  if (cfg.allow_unsandboxed_jobs) {
    return r.Skip("bubblewrap", why + " (--allow-unsandboxed-jobs: jobs run unsandboxed)");
  }
  r.Fail("bubblewrap", why + " (only server Owners could run jobs)");
}

void CheckPython(Report& r) {
  std::string py = OnPath("python3");
  if (py.empty()) {
    r.Fail("python", "python3 not found on PATH: job environments cannot be built");
  } else {
    std::string line;
    if (Run(py + " -c 'import venv, ensurepip'", line) != 0) {
      r.Fail("python",
             py + ": has no venv/ensurepip module (Debian: apt-get install python3-venv)");
    } else {
      r.Ok("python", py + ": can build job environments (venv)");
    }
  }
  fs::path exe = ExeDir();
  std::error_code ec;
  bool helpers = false;
  for (const auto& c : {exe / "python", exe.parent_path().parent_path() / "python"}) {
    helpers = helpers || fs::exists(c / "mlws_log" / "__init__.py", ec);
  }
  if (helpers) {
    r.Ok("python helpers", "mlws_log found: jobs can log through it");
  } else {
    r.Fail("python helpers", "python/mlws_log not found next to the binary");
  }
  fs::path jupyter;
  if (const char* v = std::getenv("MLWS_JUPYTER_VENV"); v != nullptr && *v != 0) {
    jupyter = v;
  } else {
    jupyter = exe.parent_path().parent_path() / ".venv-jupyter";
  }
  if (fs::exists(jupyter / "bin" / "jupyter", ec)) {
    r.Ok("jupyter venv", jupyter.string() + ": compute instances can start");
  } else {
    r.Skip("jupyter venv", jupyter.string() + ": no bin/jupyter, compute instances cannot start");
  }
}

}  // namespace

const char* const kDoctorDescription =
    "Check every backend `mlws server` would use with the same flags, without serving: one line "
    "per check (OK, FAIL or SKIP, what was checked, the cause in plain words), then a summary. "
    "Passwords in URIs are shown as *** and S3 keys never.";

const char* const kDoctorFooter =
    "Checks, in the order the server opens what they check:\n"
    "  home            --home can be created and written\n"
    "  backend store   --backend-store-uri is well formed and the database opens (servers "
    "registered in it)\n"
    "  artifacts       --artifacts-destination: the folder is usable, or the bucket is reachable "
    "and accepts the keys\n"
    "  s3 endpoint     an s3:// destination has AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"
    "  slurm           an attached type: slurm compute finds sbatch, squeue, scancel, scontrol and "
    "squeue answers (10 s); SKIP when none is attached\n"
    "  job supervisor  mlws-job-supervisor is next to the binary\n"
    "  bubblewrap      the job sandbox self-check passes (SKIP with --allow-unsandboxed-jobs)\n"
    "  python          python3 has venv and ensurepip (job environments can be built)\n"
    "  python helpers  python/mlws_log is next to the binary\n"
    "  jupyter venv    .venv-jupyter (or $MLWS_JUPYTER_VENV) has bin/jupyter; SKIP, never FAIL\n"
    "\n"
    "Exit status: 0 when every check passed or was skipped, 1 when any check failed; a bad flag "
    "exits non-zero before any check runs. See docs/scale-out.md \"mlws doctor\".";

int RunDoctor(const server::Config& config) {
  spdlog::set_level(spdlog::level::off);  // the lines below are the whole report
  server::Config cfg = server::ResolveDefaults(config);
  Report r;
  CheckHome(r, cfg.home);
  int slurm = CheckStore(r, cfg.backend_store_uri);
  CheckArtifacts(r, cfg);
  CheckSlurm(r, std::max(0, slurm));
  CheckSandbox(r, cfg);
  CheckPython(r);
  std::printf("%s\n", r.failed == 0 ? "all checks passed"
                                    : fmt::format("{} check(s) failed", r.failed).c_str());
  return r.failed == 0 ? 0 : 1;
}

}  // namespace mlws::cli
