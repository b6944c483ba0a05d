#include "mlws/server/server.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "api/api_context.h"
#include "mlws/api/browser_safety.h"
#include "mlws/api/routes.h"
#include "mlws/artifacts/artifact_store.h"
#include "mlws/assets/asset_service.h"
#include "mlws/assets/environment_builder.h"
#include "mlws/assets/registry_service.h"
#include "mlws/auth/auth_service.h"
#include "mlws/auth/secret_service.h"
#include "mlws/common/json.h"
#include "mlws/common/strings.h"
#include "mlws/http/server.h"
#include "mlws/jobs/asset_job_assets.h"
#include "mlws/jobs/job_service.h"
#include "mlws/quotas/quota_service.h"
#include "mlws/schedules/schedule_service.h"
#include "mlws/serving/batch_service.h"
#include "mlws/serving/endpoint_service.h"
#include "mlws/store/metadata_store.h"
#include "mlws/store/store_uri.h"
#include "mlws/store/write_groups.h"
#include "mlws/tracking/tracking_service.h"
#include "server/advertise_url.h"
#include "server/resident_trim.h"

namespace mlws::server {

namespace {
constexpr const char* kVersion = "0.1.0";

int Fail(const std::string& what, const Status& st) {
  spdlog::critical("{}: {}", what, st.ToString());
  return 1;
}
// The studio's files: $MLWS_WEB_ROOT, <exe dir>/web (installed), or <source>/web/dist for a
// binary in <source>/build/<type>/. Empty when none holds an index.html.
std::string FindWebRoot() {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("MLWS_WEB_ROOT"); env != nullptr && *env != 0) {
    candidates.emplace_back(env);
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "web");
    candidates.push_back(exe.parent_path().parent_path().parent_path() / "web" / "dist");
  }
  for (const auto& c : candidates) {
    if (fs::exists(c / "index.html", ec)) return fs::canonical(c, ec).string();
  }
  return "";
}

// The Python helpers jobs can import (python/mlws_log): next to the binary or in the source tree.
std::string FindPythonHelpers() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  for (const auto& c :
       {exe.parent_path() / "python", exe.parent_path().parent_path().parent_path() / "python"}) {
    if (fs::exists(c / "mlws_log" / "__init__.py", ec)) return fs::canonical(c, ec).string();
  }
  return "";
}

// The JupyterLab that compute instances run: MLWS_JUPYTER_VENV, else the checkout's
// .venv-jupyter (two levels above build/<type>/mlws); "" when neither has bin/jupyter.
std::string FindJupyterVenv() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (const char* v = std::getenv("MLWS_JUPYTER_VENV"); v != nullptr) {
    return *v != 0 && fs::exists(fs::path(v) / "bin" / "jupyter", ec) ? std::string(v) : "";
  }
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  fs::path c = exe.parent_path().parent_path().parent_path() / ".venv-jupyter";
  return fs::exists(c / "bin" / "jupyter", ec) ? fs::canonical(c, ec).string() : "";
}

// The group-commit series of /metrics (docs/server.md): the size histogram says whether
// concurrent writes share one commit (one fsync).
void AppendWriteGroupSeries(std::string& out, const store::WriteGroupStats& w) {
  out +=
      "# HELP mlws_store_write_group_size Writes committed together in one group (one "
      "transaction, one fsync).\n# TYPE mlws_store_write_group_size histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < w.kBounds.size(); ++i) {
    cumulative += w.group_sizes[i];
    out += fmt::format("mlws_store_write_group_size_bucket{{le=\"{}\"}} {}\n", w.kBounds[i],
                       cumulative);
  }
  out += fmt::format("mlws_store_write_group_size_bucket{{le=\"+Inf\"}} {}\n", w.groups);
  out += fmt::format("mlws_store_write_group_size_sum {}\n", w.grouped_writes);
  out += fmt::format("mlws_store_write_group_size_count {}\n", w.groups);
  http::AppendGauge(out, "mlws_store_write_commit_seconds_total",
                    "Time the store's writer spent committing groups (mostly the WAL fsync).",
                    "counter", w.commit_seconds);
}

}  // namespace

Config ResolveDefaults(Config c) {
  if (c.home.empty()) {
    const char* h = std::getenv("HOME");
    c.home = std::string(h != nullptr ? h : ".") + "/.mlws";
  }
  std::error_code ec;
  c.home = std::filesystem::absolute(c.home, ec).string();
  if (c.backend_store_uri.empty()) c.backend_store_uri = "sqlite:///" + c.home + "/mlws.db";
  if (c.artifacts_destination.empty()) c.artifacts_destination = "file://" + c.home + "/artifacts";
  if (c.web_root.empty()) c.web_root = FindWebRoot();
  if (c.environments_dir.empty()) c.environments_dir = c.home + "/envs";
  c.environments_dir = std::filesystem::absolute(c.environments_dir, ec).string();
  return c;
}

int RunServer(const Config& raw) {
  Config cfg = ResolveDefaults(raw);
  auto logger = spdlog::stderr_logger_mt("mlws");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  if (!cfg.advertise_url.empty()) {
    auto url = CheckAdvertiseUrl(cfg.advertise_url);
    if (!url.ok()) return Fail("cannot start", url.status());
    cfg.advertise_url = *url;
  }

  // The home is the server user's alone (0700): no other account on the machine reaches the
  // database, key, artifacts or job files in it, whatever umask the server was started with.
  // The database and key are 0600 themselves. Files inside may be readable by others on
  // purpose: sandboxed jobs run as another uid and read their inputs and environments through
  // bind mounts, which do not pass through the home's mode.
  std::error_code ec;
  std::filesystem::create_directories(cfg.home, ec);
  if (ec) return Fail("cannot create home " + cfg.home, Internal(ec.message()));
  std::filesystem::permissions(cfg.home, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);

  auto t0 = std::chrono::steady_clock::now();
  auto store = store::OpenMetadataStore(cfg.backend_store_uri);
  if (!store.ok()) {
    return Fail("cannot open backend store " + store::RedactStoreUri(cfg.backend_store_uri),
                store.status());
  }
  auto version = (*store)->Migrate();
  if (!version.ok()) return Fail("schema migration failed", version.status());
  artifacts::S3Options s3;
  s3.endpoint_url = cfg.s3_endpoint_url;
  s3.region = cfg.s3_region;
  if (!cfg.s3_path_style.empty()) s3.path_style = cfg.s3_path_style == "true";
  s3.connect_timeout_ms = cfg.s3_connect_timeout_ms;
  const bool local_artifacts = cfg.artifacts_destination.rfind("s3://", 0) != 0;
  auto artifacts =
      artifacts::OpenArtifactStore(cfg.artifacts_destination, s3, cfg.home + "/staging");
  if (!artifacts.ok()) {
    return Fail("cannot open artifacts destination " + cfg.artifacts_destination,
                artifacts.status());
  }
  tracking::TrackingService tracking(**store);
  Status st = tracking.EnsureDefaultWorkspace();
  if (!st.ok()) return Fail("cannot create the default workspace", st);

  auth::AuthService auth(**store);
  std::optional<std::string> admin_password;
  if (!cfg.admin_password_file.empty()) {
    std::ifstream in(cfg.admin_password_file);
    std::string pw;
    if (!in || !std::getline(in, pw)) {
      return Fail("cannot read --admin-password-file " + cfg.admin_password_file,
                  InvalidArgument("unreadable or empty"));
    }
    admin_password = pw;
  }
  bool loopback = cfg.host == "localhost" || cfg.host == "::1" || cfg.host.rfind("127.", 0) == 0;
  auto generated = auth.Init(loopback, admin_password);
  if (!generated.ok()) return Fail("cannot initialise authentication", generated.status());
  if (*generated) {
    // Printed once, on the terminal only: it is not stored anywhere in plaintext.
    std::fprintf(stdout,
                 "mlws: created user 'admin' (Owner). One-time password: %s\n"
                 "      sign in with it and create a token: POST /api/v1/tokens\n",
                 (*generated)->c_str());
    std::fflush(stdout);
  }
  auto vault = auth::Vault::Open(cfg.home);
  if (!vault.ok()) return Fail("cannot open the secrets vault", vault.status());
  auth::SecretService secrets(**store, *vault);
  assets::RegistryService registry(**store, tracking);
  assets::AssetPaths asset_paths;
  // Local datastores' allowed roots and the registries' storage are local folders; with an
  // s3:// destination the default datastores are in the bucket (see "blob paths" below).
  asset_paths.artifacts_root = !local_artifacts ? cfg.home + "/artifacts"
                               : cfg.artifacts_destination.rfind("file://", 0) == 0
                                   ? cfg.artifacts_destination.substr(7)
                                   : cfg.artifacts_destination;
  asset_paths.allowed_local_roots = cfg.local_datastore_roots;
  if (asset_paths.allowed_local_roots.empty()) {
    asset_paths.allowed_local_roots.push_back(cfg.home + "/datastores");
  }
  artifacts::StorageQuota quota(
      asset_paths.artifacts_root,
      static_cast<std::int64_t>(cfg.workspace_storage_quota_gb * static_cast<double>(1LL << 30)));
  asset_paths.quota = &quota;
  // --- blob paths: with an s3:// destination the default datastores (uploads, code snapshots,
  // job outputs, model files) and the quota scan are in the bucket too (docs/scale-out.md) ---
  if (!local_artifacts) {
    artifacts::BlobStore* blobs = &(*artifacts)->blobs();
    asset_paths.workspace_blobs = std::shared_ptr<artifacts::BlobStore>(blobs, [](auto*) {});
    quota.ScanBlobs(blobs);
  }
  asset_paths.read_secret = [&secrets](std::int64_t wid, const std::string& name) {
    return secrets.Get(wid, name);
  };
  // --- end blob paths ---
  // One builder: jobs, deployments and explicit builds share its cache and its locks.
  assets::EnvironmentBuilder job_environments(cfg.environments_dir);
  assets::AssetService asset_service(**store, tracking, registry, asset_paths, &job_environments);
  // --- registries: shared asset collections; "azureml" holds the curated environments ---
  registries::RegistryService registries(**store, tracking, auth, asset_service,
                                         asset_paths.artifacts_root);
  asset_service.SetRegistries(&registries);
  st = registries.EnsureBuiltin();
  if (!st.ok()) return Fail("cannot create the built-in registry", st);
  // --- end registries ---
  http::RequestMetrics metrics;
  // --- jobs: the scheduler and the local executor (re-adopts jobs of a previous run) ---
  auto job_assets = jobs::NewAssetJobAssets(asset_service, job_environments);
  jobs::JobServiceOptions job_options;
  job_options.jobs_root = cfg.home + "/jobs";
  job_options.python_path = FindPythonHelpers();
  {
    std::error_code ec;
    auto sup =
        std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "mlws-job-supervisor";
    if (!ec && access(sup.c_str(), X_OK) == 0) {
      job_options.supervisor = sup.string();
    } else {
      spdlog::warn("{} is missing: jobs cannot start on this server", sup.string());
    }
  }
  if (const char* g = std::getenv("MLWS_JOB_KILL_GRACE_S"); g != nullptr && *g != 0) {
    job_options.kill_grace_ms = static_cast<int>(std::atof(g) * 1000);
  }
  if (const char* n = std::getenv("MLWS_LOCAL_SLOTS"); n != nullptr && *n != 0) {
    job_options.local_slots = std::atoi(n);
  }
  job_options.allow_unsandboxed = cfg.allow_unsandboxed_jobs;
  job_options.job_uid = cfg.job_uid;
  job_options.job_gid = cfg.job_gid;
  // Test hook: MLWS_JOB_BWRAP names another bwrap (e.g. a missing one).
  if (const char* b = std::getenv("MLWS_JOB_BWRAP"); b != nullptr && *b != 0) {
    job_options.bwrap = b;
  }
  // Slurm computes: how long a Slurm tool may take, how often squeue polls (docs/compute.md).
  if (const char* t = std::getenv("MLWS_SLURM_COMMAND_TIMEOUT_S"); t != nullptr && *t != 0) {
    job_options.slurm.command_timeout_ms = std::max(1, static_cast<int>(std::atof(t) * 1000));
  }
  if (const char* t = std::getenv("MLWS_SLURM_POLL_MS"); t != nullptr && *t != 0) {
    job_options.slurm.poll_ms = std::max(10, std::atoi(t));
  }
  // Several servers on one database: how long a job lease lasts (docs/scale-out.md).
  if (const char* t = std::getenv("MLWS_JOB_LEASE_S"); t != nullptr && *t != 0) {
    job_options.lease_ms = std::max(300, static_cast<int>(std::atof(t) * 1000));
  }
  jobs::JobService job_service(**store, tracking, **artifacts, auth, *job_assets, job_options);
  if (job_service.sandboxed()) {
    // Environment builds run user-chosen code too: in the same sandbox, as the job user.
    job_environments.SetSandbox(
        [&job_service](const std::vector<std::string>& cmd, const std::string& dir) {
          return job_service.SandboxedCommand(cmd, dir);
        });
  }
  // Workspace quotas: the scheduler asks them before it queues or starts a job (docs/quotas.md).
  quotas::QuotaService quota_service(**store, tracking, job_service);
  job_service.SetAdmissionGate(&quota_service);
  st = job_service.Recover();
  if (!st.ok()) return Fail("cannot recover the jobs of the previous run", st);
  // --- end jobs ---
  // --- online endpoints: scoring instances run under the job supervisor, in the job sandbox ---
  serving::ServingOptions serving_options;
  serving_options.root = cfg.home + "/serving";
  serving_options.python_path = FindPythonHelpers();
  serving_options.supervisor = job_options.supervisor;
  serving_options.allow_unsandboxed = cfg.allow_unsandboxed_jobs;
  serving::EndpointService endpoints(**store, tracking, *job_assets, job_service, serving_options);
  st = endpoints.Recover();
  if (!st.ok()) return Fail("cannot recover the online endpoints of the previous run", st);
  // --- end online endpoints ---
  serving::BatchService batch_endpoints(**store, tracking, *job_assets, job_service);
  tracking::LoggedModelService logged_models(**store, tracking);
  tracking::TraceV3Service traces_v3(**store, tracking, **artifacts);
  // Webhook delivery allow-list, set by the server's operator (see docs/mlflow3.md).
  std::vector<std::string> webhook_hosts;
  if (const char* hosts = std::getenv("MLWS_WEBHOOK_ALLOWED_HOSTS")) {
    for (std::string_view h : SplitKeepEmpty(hosts, ',')) {
      if (!h.empty()) webhook_hosts.emplace_back(h);
    }
  }
  tracking::WebhookSender::Options webhook_options;
  if (const char* t = std::getenv("MLWS_WEBHOOK_TIMEOUT_SECONDS")) {
    webhook_options.timeout_ms = std::max(1L, std::atol(t)) * 1000;
  }
  if (const char* b = std::getenv("MLWS_WEBHOOK_BACKOFF_MS")) {
    webhook_options.backoff_ms = std::max(1L, std::atol(b));
  }
  tracking::WebhookSender webhook_sender(webhook_options);
  metrics.AddSource([&webhook_sender] { return webhook_sender.RenderMetrics(); });
  tracking::WebhookService webhooks(**store, tracking, std::move(webhook_hosts), &webhook_sender);
  tracking::EvalDatasetService eval_datasets(**store, tracking);
  api::ApiContext ctx{tracking,     **artifacts,   auth,          secrets,
                      registry,     asset_service, metrics,       kVersion,
                      cfg.web_root, job_service,   logged_models, traces_v3,
                      webhooks,     eval_datasets, &quota,        &endpoints};
  // --- schedules: fire times claimed in the store, so several servers fire each once ---
  schedules::ScheduleService schedule_service(**store, tracking, job_service,
                                              schedules::ClockFromEnvironment());
  ctx.schedules = &schedule_service;
  ctx.registries = &registries;
  ctx.quotas = &quota_service;
  ctx.batch = &batch_endpoints;
  // --- end schedules ---
  // --- compute instances: JupyterLab under the job supervisor, in the job sandbox ---
  compute_instances::ComputeInstanceOptions ci_options;
  ci_options.root = cfg.home + "/computeinstances";
  ci_options.jupyter_venv = FindJupyterVenv();
  ci_options.supervisor = job_options.supervisor;
  ci_options.allow_unsandboxed = cfg.allow_unsandboxed_jobs;
  compute_instances::ComputeInstanceService compute_instance_service(
      **store, tracking, asset_service, job_service, auth, ci_options);
  st = compute_instance_service.Recover();
  if (!st.ok()) return Fail("cannot recover the compute instances of the previous run", st);
  ctx.compute_instances = &compute_instance_service;
  // --- end compute instances ---
  assets::SharedResources shared_resources(**store);  // docs/shared-resources.md
  ctx.shared = &shared_resources;
  http::Router router;
  api::BrowserSafety browser_safety(cfg.host, cfg.port, cfg.allowed_origins);
  api::RegisterRoutes(router, ctx, &browser_safety);

  http::ServerOptions opt;
  opt.host = cfg.host;
  opt.port = cfg.port;
  opt.staging_dir = (*artifacts)->StagingDir();
  opt.tls_cert = cfg.tls_cert;
  opt.tls_key = cfg.tls_key;
  opt.header_timeout_seconds = cfg.header_timeout_s;
  opt.idle_timeout_seconds = cfg.idle_timeout_s;
  opt.body_timeout_seconds = cfg.body_timeout_s;
  opt.min_body_bytes_per_second = cfg.min_body_rate;
  opt.write_timeout_seconds = cfg.write_timeout_s;
  opt.max_connections = cfg.max_connections;
  opt.max_connections_per_address = cfg.max_connections_per_address;
  opt.io_threads = cfg.io_threads;
  opt.worker_threads = cfg.worker_threads;
  opt.worker_queue = cfg.worker_queue;
  opt.on_request = [&metrics](const http::Request& req, const http::Response& resp, double ms) {
    metrics.Record(req.method, req.route, resp.status, ms, req.body_size);
    if (!spdlog::should_log(spdlog::level::info)) return;
    // The JSON line is formatted directly (keys in the order nlohmann's objects sort them):
    // building a json object for it cost more than the rest of a small request's logging.
    auto str = [](const std::string& v) { return DumpJson(nlohmann::json(v)); };
    spdlog::info(
        "request {{\"bytes_in\":{},\"method\":{},\"ms\":{},\"path\":{},\"remote\":{},"
        "\"status\":{},\"workspace\":{}}}",
        req.body_size, str(req.method), static_cast<double>(static_cast<long>(ms * 1000)) / 1000,
        str(req.path), str(req.remote_addr), resp.status, str(req.workspace));
  };
  http::HttpServer server(opt, router);
  metrics.SetServerStats([&server] { return server.Stats(); });
  // Store backpressure (docs/server.md "Limits"): a full write queue answers 503 at once.
  (*store)->SetWriteQueueLimit(cfg.store_write_queue);
  metrics.AddSource([&store] {
    store::WriteQueueStats w = (*store)->WriteStats();
    std::string out;
    http::AppendGauge(out, "mlws_store_write_queue_depth", "Writes waiting to be committed.",
                      "gauge", static_cast<double>(w.depth));
    http::AppendGauge(out, "mlws_store_write_queue_limit",
                      "Writes that may wait before new ones get 503 (0 = unbounded).", "gauge",
                      static_cast<double>(w.limit));
    http::AppendGauge(out, "mlws_store_write_rejections_total",
                      "Writes answered 503 because the store's write queue was full.", "counter",
                      static_cast<double>(w.rejected));
    if (store::WriteGroupSource* g = store::WriteGroupsOf(**store)) {
      AppendWriteGroupSeries(out, g->WriteGroups());
    }
    return out;
  });
  st = server.Start();
  if (!st.ok()) return Fail("cannot start the HTTP server", st);
  browser_safety.set_port(server.port());
  const bool tls = !cfg.tls_cert.empty();
  // Others reach this server by its host's name; its own jobs, instances and labs by loopback.
  st = job_service.Advertise(cfg.advertise_url.empty()
                                 ? ServerUrl(tls, cfg.host, server.port(), job_service.host())
                                 : cfg.advertise_url);
  if (!st.ok()) return Fail("cannot record this server's URL in the store", st);
  const std::string local_url = ServerUrl(tls, cfg.host, server.port(), "127.0.0.1");
  job_service.Start(local_url);
  endpoints.Start(local_url);
  compute_instance_service.Start(local_url);
  schedule_service.Start();
  double start_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info(
      "mlws {} listening on {}://{}:{} (store {}, schema v{}, artifacts {}, authentication "
      "{}, started in {:.0f} ms)",
      kVersion, cfg.tls_cert.empty() ? "http" : "https", cfg.host, server.port(),
      store::RedactStoreUri(cfg.backend_store_uri), *version, cfg.artifacts_destination,
      auth.auth_required() ? "required" : "off (loopback, no users)", start_ms);

  if (cfg.web_root.empty()) {
    spdlog::info("studio not found (run `make web`, or pass --web-root); serving the APIs only");
  }
  if (!loopback && cfg.tls_cert.empty()) {
    spdlog::warn(
        "serving plain HTTP on {}: passwords and tokens cross the network unencrypted; "
        "use --tls-cert/--tls-key or a TLS proxy",
        cfg.host);
  }
  // Idle memory: what startup left resident and will not use again.
  TrimResidentMemory();
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("received signal {}, finishing requests in flight", sig);
  schedule_service.Stop();
  job_service.Stop();  // running jobs keep running; the next start re-adopts them
  server.Stop();
  endpoints.Stop();                 // scoring instances keep running; the next start re-adopts them
  compute_instance_service.Stop();  // labs keep running; the next start re-adopts them
  (*store)->Close();
  spdlog::info("stopped");
  return 0;
}

}  // namespace mlws::server
