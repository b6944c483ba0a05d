// EndpointService: specs, CRUD and keys (see include/mlws/serving/endpoint_service.h). The
// processes are in instances.cc, scoring in front_door.cc.
#include "mlws/serving/endpoint_service.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "mlws/common/ids.h"
#include "mlws/common/json.h"
#include "serving/serving_state.h"
#include "serving/spec_fields.h"
#include "serving/stage_in.h"

namespace mlws::serving {

using nlohmann::json;
namespace fs = std::filesystem;

std::string DeploymentId(const std::string& endpoint, const std::string& name) {
  return endpoint + "/" + name;
}

namespace {

std::string NewKey() { return NewRunId() + NewRunId(); }

std::vector<std::string> DeploymentNames(const LiveEndpoint& e) {
  std::vector<std::string> out;
  for (const auto& [name, d] : e.deployments) out.push_back(name);
  return out;
}

StatusOr<std::shared_ptr<LiveDeployment>> FindDeployment(LiveEndpoint& ep,
                                                         const std::string& name) {
  auto it = ep.deployments.find(name);
  if (it == ep.deployments.end()) {
    return NotFound(
        fmt::format("deployment '{}' not found in online endpoint '{}'", name, ep.e.name));
  }
  return it->second;
}

// A change of a deployment another server runs: sent there (it alone supervises the instances).
Status RunsElsewhere(const LiveDeployment& dep) {
  return Status(ErrorCode::kResourceConflict,
                fmt::format("deployment '{}' of online endpoint '{}' runs on another server "
                            "sharing this database; update or delete it through that server, or "
                            "wait until this server takes it over (docs/scale-out.md)",
                            dep.d.name, dep.d.endpoint_name));
}

bool HasFile(const std::string& dir, const std::string& name) {
  std::error_code ec;
  return fs::exists(fs::path(dir) / name, ec);
}

}  // namespace

StatusOr<std::shared_ptr<LiveEndpoint>> EndpointService::State::FindEndpoint(
    std::int64_t ws_id, const std::string& name) {
  auto it = endpoints.find(EndpointKey(ws_id, name));
  if (it == endpoints.end()) {
    return NotFound(fmt::format("online endpoint '{}' not found", name));
  }
  return it->second;
}

Status EndpointService::State::PersistEndpoint(const LiveEndpoint& e) {
  store::DocumentRecord r{e.e.name, e.e.created_ms, DumpJson(EndpointToJson(e.e))};
  return store.online_endpoints().Put(e.ws_id, r);
}

Status EndpointService::State::PersistDeployment(const LiveDeployment& d) {
  store::DocumentRecord r{DeploymentId(d.d.endpoint_name, d.d.name), d.d.created_ms,
                          DumpJson(DeploymentToJson(d.d))};
  return store.online_deployments().Put(d.ws_id, r);
}

EndpointService::EndpointService(store::MetadataStore& store, tracking::TrackingService& tracking,
                                 jobs::JobAssets& assets, jobs::JobService& jobs,
                                 ServingOptions options)
    : s_(std::make_unique<State>(store, tracking, assets, jobs, std::move(options))) {
  State* s = s_.get();
  s_->executor = jobs::NewLocalExecutor(
      [s](const std::string& key, const jobs::ExitRecord& rec) { s->OnExit(key, rec); },
      s_->options.supervisor);
}

EndpointService::~EndpointService() { Stop(); }

Status EndpointService::Recover() {
  ASSIGN_OR_RETURN(auto workspaces, s_->tracking.ListWorkspaces());
  std::lock_guard<std::mutex> lock(s_->mu);
  for (const auto& w : workspaces) {
    ASSIGN_OR_RETURN(auto eps, s_->store.online_endpoints().List(w.id));
    for (const auto& rec : eps) {
      ASSIGN_OR_RETURN(OnlineEndpoint e, EndpointFromJson(json::parse(rec.doc, nullptr, false)));
      auto live = std::make_shared<LiveEndpoint>();
      live->e = std::move(e);
      live->ws_id = w.id;
      live->ws = w.name;
      s_->endpoints[State::EndpointKey(w.id, live->e.name)] = live;
    }
    ASSIGN_OR_RETURN(auto deps, s_->store.online_deployments().List(w.id));
    for (const auto& rec : deps) {
      ASSIGN_OR_RETURN(OnlineDeployment d,
                       DeploymentFromJson(json::parse(rec.doc, nullptr, false)));
      auto ep = s_->endpoints.find(State::EndpointKey(w.id, d.endpoint_name));
      if (ep == s_->endpoints.end()) continue;
      auto live = std::make_shared<LiveDeployment>();
      live->d = std::move(d);
      live->ws_id = w.id;
      live->ws = w.name;
      // Several servers: what a live server holds stays its own (deployment_leases.cc).
      if (!s_->ClaimDeployment(w.id, rec.id)) {
        live->owned = false;
        s_->AttachRemote(*live);
        ep->second->deployments[live->d.name] = live;
        continue;
      }
      s_->SettleInterrupted(*live);
      s_->Adopt(*live);
      s_->RestoreStats(*live);
      ep->second->deployments[live->d.name] = live;
      (void)s_->PersistDeployment(*live);
    }
  }
  return Status::Ok();
}

void EndpointService::Start(const std::string& server_url) {
  s_->server_url = server_url;
  s_->monitor = std::thread([s = s_.get()] { s->MonitorLoop(); });
  s_->mirror_thread = std::thread([s = s_.get()] { s->MirrorLoop(); });
}

void EndpointService::Stop() {
  std::vector<std::thread> provisioners;
  {
    std::lock_guard<std::mutex> lock(s_->mu);
    if (s_->stopping) return;
    s_->stopping = true;
    provisioners.swap(s_->provisioners);
  }
  s_->cv.notify_all();
  s_->monitor_cv.notify_all();
  s_->mirror_cv.notify_all();
  for (auto& t : provisioners) t.join();
  if (s_->monitor.joinable()) s_->monitor.join();
  if (s_->mirror_thread.joinable()) s_->mirror_thread.join();
  s_->FlushStats(/*force=*/true);
  s_->executor->Stop();
}

StatusOr<OnlineEndpoint> EndpointService::CreateEndpoint(const std::string& ws, const json& spec) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, s_->tracking.WorkspaceId(ws));
  ASSIGN_OR_RETURN(OnlineEndpoint e, ParseEndpointSpec(spec));
  // A new endpoint has no deployments yet: any traffic would name unknown ones.
  RETURN_IF_ERROR(ValidateTraffic(e.traffic, e.mirror_traffic, {}));
  e.primary_key = NewKey();
  e.secondary_key = NewKey();
  e.created_ms = e.updated_ms = NowMillis();
  auto live = std::make_shared<LiveEndpoint>();
  live->e = e;
  live->ws_id = ws_id;
  live->ws = ws;
  std::lock_guard<std::mutex> lock(s_->mu);
  std::string key = State::EndpointKey(ws_id, e.name);
  if (s_->endpoints.count(key)) {
    return AlreadyExists(fmt::format("online endpoint '{}' already exists", e.name));
  }
  RETURN_IF_ERROR(s_->PersistEndpoint(*live));
  s_->endpoints[key] = live;
  return e;
}

StatusOr<OnlineEndpoint> EndpointService::UpdateEndpoint(const std::string& ws,
                                                         const std::string& name,
                                                         const json& spec) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, s_->tracking.WorkspaceId(ws));
  s_->SyncIfUnknown(ws_id, name);
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto live, s_->FindEndpoint(ws_id, name));
  ASSIGN_OR_RETURN(OnlineEndpoint e, ApplyEndpointUpdate(live->e, spec));
  RETURN_IF_ERROR(ValidateTraffic(e.traffic, e.mirror_traffic, DeploymentNames(*live)));
  for (const auto& [dep, pct] : e.traffic) {
    auto d = live->deployments.find(dep);
    if (pct > 0 && d != live->deployments.end() && d->second->d.provisioning_state == "Failed" &&
        d->second->d.generation == 0) {
      return InvalidArgument(fmt::format(
          "deployment '{}' failed to start ({}); it cannot take traffic", dep, d->second->d.error));
    }
  }
  e.updated_ms = NowMillis();
  OnlineEndpoint old = live->e;
  live->e = e;
  Status st = s_->PersistEndpoint(*live);
  if (!st.ok()) {
    live->e = old;
    return st;
  }
  live->swrr_current.clear();
  return e;
}

StatusOr<OnlineEndpoint> EndpointService::GetEndpoint(const std::string& ws,
                                                      const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, s_->tracking.WorkspaceId(ws));
  s_->SyncIfUnknown(ws_id, name);
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto live, s_->FindEndpoint(ws_id, name));
  return live->e;
}

StatusOr<std::vector<OnlineEndpoint>> EndpointService::ListEndpoints(const std::string& ws) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, s_->tracking.WorkspaceId(ws));
  s_->SyncFromStore();  // endpoints created through other servers too
  std::vector<OnlineEndpoint> out;
  std::lock_guard<std::mutex> lock(s_->mu);
  for (const auto& [key, e] : s_->endpoints) {
    if (e->ws_id == ws_id) out.push_back(e->e);
  }
  return out;
}

Status EndpointService::DeleteEndpoint(const std::string& ws, const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, s_->tracking.WorkspaceId(ws));
  s_->SyncIfUnknown(ws_id, name);
  std::unique_lock<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto live, s_->FindEndpoint(ws_id, name));
  for (auto& [dep_name, dep] : live->deployments) {
    if (!dep->owned) return RunsElsewhere(*dep);
  }
  for (auto& [dep_name, dep] : live->deployments) {
    dep->d.provisioning_state = "Deleting";
    (void)s_->store.online_deployments().Delete(ws_id, DeploymentId(name, dep_name));
  }
  RETURN_IF_ERROR(s_->store.online_endpoints().Delete(ws_id, name));
  // Unreachable from now on; the requests already admitted finish before the instances stop.
  s_->endpoints.erase(State::EndpointKey(ws_id, name));
  for (auto& [dep_name, dep] : live->deployments) {
    s_->Drain(*dep, lock);
    s_->RetireAll(*dep);
  }
  lock.unlock();
  RemoveStaged(StagingRoot(s_->options.root, ws_id, name, ""));
  for (auto& [dep_name, dep] : live->deployments) {
    s_->DeleteStats(ws_id, name, dep_name);
    s_->ReleaseDeployment(ws_id, DeploymentId(name, dep_name));
  }
  return Status::Ok();
}

StatusOr<OnlineEndpoint> EndpointService::RegenerateKey(const std::string& ws,
                                                        const std::string& name,
                                                        const std::string& key_type) {
  if (key_type != "primary" && key_type != "secondary") {
    return InvalidArgument("key_type must be 'primary' or 'secondary' (got '" + key_type + "')");
  }
  ASSIGN_OR_RETURN(std::int64_t ws_id, s_->tracking.WorkspaceId(ws));
  s_->SyncIfUnknown(ws_id, name);
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto live, s_->FindEndpoint(ws_id, name));
  if (live->e.auth_mode != "key") {
    return InvalidArgument(
        fmt::format("endpoint '{}' uses auth_mode {}: it has no keys", name, live->e.auth_mode));
  }
  OnlineEndpoint old = live->e;
  (key_type == "primary" ? live->e.primary_key : live->e.secondary_key) = NewKey();
  live->e.updated_ms = NowMillis();
  Status st = s_->PersistEndpoint(*live);
  if (!st.ok()) {
    live->e = old;
    return st;
  }
  return live->e;
}

StatusOr<OnlineDeployment> EndpointService::PutDeployment(const std::string& ws,
                                                          const std::string& endpoint,
                                                          const json& spec, bool update,
                                                          bool may_run_unsandboxed) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, s_->tracking.WorkspaceId(ws));
  s_->SyncIfUnknown(ws_id, endpoint,
                    update && spec.is_object() && spec.contains("name") && spec["name"].is_string()
                        ? spec["name"].get<std::string>()
                        : "");
  {
    std::lock_guard<std::mutex> lock(s_->mu);
    ASSIGN_OR_RETURN(auto live, s_->FindEndpoint(ws_id, endpoint));
    (void)live;
  }
  ASSIGN_OR_RETURN(OnlineDeployment d, ParseDeploymentSpec(spec, endpoint));
  if (!s_->jobs.sandboxed() && !s_->options.allow_unsandboxed && !may_run_unsandboxed) {
    return Status(ErrorCode::kTemporarilyUnavailable,
                  "Scoring instances cannot be sandboxed on this server, so only server Owners "
                  "may deploy; an admin can install bubblewrap or start the server with "
                  "--allow-unsandboxed-jobs.");
  }
  // The model's files.
  ASSIGN_OR_RETURN(jobs::InputSpec in, spec::ModelInput(d.model));
  auto model = s_->assets.ResolveInput(ws, in);
  if (!model.ok()) return model.status();
  // Files in a blob store are staged into this deployment's scratch folder, then checked and
  // served from there like local ones; a refused deployment leaves no staged files.
  StagingFolder staged(
      (fs::path(StagingRoot(s_->options.root, ws_id, endpoint, d.name)) / NewRunId().substr(0, 12))
          .string());
  ASSIGN_OR_RETURN(d.model_local, StageIn(s_->assets, ws, *model,
                                          (fs::path(staged.dir()) / "model").string(), true));
  d.model_ref = model->asset.empty() ? model->uri : model->asset;
  std::error_code ec;
  if (fs::is_regular_file(d.model_local, ec)) {
    d.model_folder = fs::path(d.model_local).filename().string();
  } else if (d.model.is_object() && d.model.contains("folder_name") &&
             d.model["folder_name"].is_string()) {
    d.model_folder = d.model["folder_name"].get<std::string>();
  } else {
    std::string p = in.path;
    while (!p.empty() && p.back() == '/') p.pop_back();
    d.model_folder = p.substr(p.rfind('/') + 1);
    if (d.model.is_string()) d.model_folder = "model";
  }
  if (d.model_folder.empty() || d.model_folder.find('/') != std::string::npos ||
      d.model_folder == "." || d.model_folder == "..") {
    d.model_folder = "model";
  }
  bool mlflow = HasFile(d.model_local, "MLmodel");
  d.model_type = mlflow ? "mlflow_model" : in.type;
  if (in.type == "mlflow_model" && !mlflow) {
    return InvalidArgument("the model is declared mlflow_model but its folder has no MLmodel file");
  }
  // The scoring script.
  if (d.scoring_script.empty()) {
    if (!mlflow) {
      return InvalidArgument(
          "a custom_model needs code_configuration (code and scoring_script); only MLflow "
          "models (with an MLmodel file) deploy without a scoring script");
    }
  } else {
    auto code = s_->assets.ResolveCode(ws, d.code);
    if (!code.ok()) return code.status();
    ASSIGN_OR_RETURN(d.code_local, StageIn(s_->assets, ws, *code,
                                           (fs::path(staged.dir()) / "code").string(), false));
    if (!fs::is_regular_file(fs::path(d.code_local) / d.scoring_script, ec)) {
      return InvalidArgument(
          fmt::format("code_configuration.scoring_script '{}' is not in the "
                      "code folder",
                      d.scoring_script));
    }
  }
  auto env = s_->assets.CheckEnvironment(ws, d.environment);
  if (!env.ok()) return env.status();
  d.environment_ref = *env;

  std::shared_ptr<LiveDeployment> live;
  {
    std::lock_guard<std::mutex> lock(s_->mu);
    if (s_->stopping) return Status(ErrorCode::kTemporarilyUnavailable, "the server is stopping");
    ASSIGN_OR_RETURN(auto ep, s_->FindEndpoint(ws_id, endpoint));
    auto it = ep->deployments.find(d.name);
    if (update && it == ep->deployments.end()) {
      return NotFound(
          fmt::format("deployment '{}' not found in online endpoint '{}'", d.name, endpoint));
    }
    if (!update && it != ep->deployments.end()) {
      return AlreadyExists(fmt::format(
          "deployment '{}' already exists in online endpoint '{}' (use update)", d.name, endpoint));
    }
    if (update) {
      live = it->second;
      if (!live->owned) return RunsElsewhere(*live);
      if (live->d.provisioning_state == "Creating" || live->d.provisioning_state == "Updating") {
        return Status(ErrorCode::kResourceConflict,
                      fmt::format("deployment '{}' is {}: wait until it finished", d.name,
                                  live->d.provisioning_state));
      }
      d.created_ms = live->d.created_ms;
      d.generation = live->d.generation + 1;
      d.instances = live->d.instances;
      d.provisioning_state = "Updating";
      OnlineDeployment old = live->d;
      live->d = d;
      Status st = s_->PersistDeployment(*live);
      if (!st.ok()) {
        live->d = old;
        return st;
      }
    } else {
      d.created_ms = NowMillis();
      d.generation = 1;
      d.provisioning_state = "Creating";
      live = std::make_shared<LiveDeployment>();
      live->d = d;
      live->ws_id = ws_id;
      live->ws = ws;
      if (!s_->ClaimDeployment(ws_id, DeploymentId(endpoint, d.name))) {
        return Status(ErrorCode::kResourceConflict,
                      fmt::format("deployment '{}' of online endpoint '{}' is being created "
                                  "through another server",
                                  d.name, endpoint));
      }
      RETURN_IF_ERROR(s_->PersistDeployment(*live));
      ep->deployments[d.name] = live;
    }
    live->d.updated_ms = NowMillis();
    live->provision_started_ms = NowMillis();
    int generation = live->d.generation;
    State* s = s_.get();
    s_->provisioners.emplace_back([s, live, generation] { s->Provision(live, generation); });
    staged.Keep();
    return live->d;
  }
}

StatusOr<OnlineDeployment> EndpointService::GetDeployment(const std::string& ws,
                                                          const std::string& endpoint,
                                                          const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, s_->tracking.WorkspaceId(ws));
  s_->SyncIfUnknown(ws_id, endpoint, name);
  {
    std::lock_guard<std::mutex> lock(s_->mu);
    ASSIGN_OR_RETURN(auto ep, s_->FindEndpoint(ws_id, endpoint));
    ASSIGN_OR_RETURN(auto dep, FindDeployment(*ep, name));
    if (dep->owned) return dep->d;
  }
  // Another server runs it: its state as that server last stored it.
  ASSIGN_OR_RETURN(auto rec,
                   s_->store.online_deployments().Get(ws_id, DeploymentId(endpoint, name)));
  return DeploymentFromJson(json::parse(rec.doc, nullptr, false));
}

StatusOr<std::vector<OnlineDeployment>> EndpointService::ListDeployments(
    const std::string& ws, const std::string& endpoint) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, s_->tracking.WorkspaceId(ws));
  s_->SyncFromStore();  // deployments created through other servers too
  std::lock_guard<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto ep, s_->FindEndpoint(ws_id, endpoint));
  std::vector<OnlineDeployment> out;
  for (const auto& [name, d] : ep->deployments) out.push_back(d->d);
  return out;
}

Status EndpointService::DeleteDeployment(const std::string& ws, const std::string& endpoint,
                                         const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, s_->tracking.WorkspaceId(ws));
  s_->SyncIfUnknown(ws_id, endpoint, name);
  std::unique_lock<std::mutex> lock(s_->mu);
  ASSIGN_OR_RETURN(auto ep, s_->FindEndpoint(ws_id, endpoint));
  ASSIGN_OR_RETURN(auto dep, FindDeployment(*ep, name));
  if (!dep->owned) return RunsElsewhere(*dep);
  auto t = ep->e.traffic.find(name);
  if (t != ep->e.traffic.end() && t->second > 0) {
    return InvalidArgument(fmt::format(
        "deployment '{}' takes {}% of the endpoint's traffic; set its traffic to 0 first", name,
        t->second));
  }
  RETURN_IF_ERROR(s_->store.online_deployments().Delete(ws_id, DeploymentId(endpoint, name)));
  dep->d.provisioning_state = "Deleting";
  ep->deployments.erase(name);
  ep->e.traffic.erase(name);
  if (ep->e.mirror_traffic.erase(name) > 0) (void)s_->PersistEndpoint(*ep);
  // Unreachable from now on; the requests already admitted finish before the instances stop.
  s_->Drain(*dep, lock);
  s_->RetireAll(*dep);
  lock.unlock();
  RemoveStaged(StagingRoot(s_->options.root, ws_id, endpoint, name));
  s_->DeleteStats(ws_id, endpoint, name);
  s_->ReleaseDeployment(ws_id, DeploymentId(endpoint, name));
  return Status::Ok();
}

StatusOr<std::string> EndpointService::DeploymentLogs(const std::string& ws,
                                                      const std::string& endpoint,
                                                      const std::string& name, int lines) {
  if (lines < 1 || lines > 100000) return InvalidArgument("lines must be within 1..100000");
  ASSIGN_OR_RETURN(OnlineDeployment d, GetDeployment(ws, endpoint, name));
  std::string dir;
  for (const auto& i : d.instances) {
    if (dir.empty() || i.generation >= d.generation) dir = i.dir;
  }
  if (dir.empty()) return std::string();
  return s_->LogTail(dir, lines);
}

bool EndpointService::KeyMatches(const std::string& ws, const std::string& endpoint,
                                 const std::optional<std::string>& authorization) {
  if (!authorization || authorization->rfind("Bearer ", 0) != 0) return false;
  std::string presented = authorization->substr(7);
  auto ws_id = s_->tracking.WorkspaceId(ws);
  if (!ws_id.ok()) return false;
  s_->SyncIfUnknown(*ws_id, endpoint);
  std::lock_guard<std::mutex> lock(s_->mu);
  auto ep = s_->FindEndpoint(*ws_id, endpoint);
  if (!ep.ok() || (*ep)->e.auth_mode != "key") return false;
  for (const std::string* k : {&(*ep)->e.primary_key, &(*ep)->e.secondary_key}) {
    if (k->size() == presented.size() &&
        CRYPTO_memcmp(k->data(), presented.data(), k->size()) == 0) {
      return true;
    }
  }
  return false;
}

std::size_t EndpointService::max_body_bytes() const { return s_->options.max_body_bytes; }

std::string EndpointService::ScoringUri(const std::string& ws, const std::string& endpoint) const {
  return fmt::format("{}/api/v1/workspaces/{}/online-endpoints/{}/score", s_->server_url, ws,
                     endpoint);
}

}  // namespace mlws::serving
