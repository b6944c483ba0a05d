// BatchService (see include/mlws/serving/batch_service.h).
#include "mlws/serving/batch_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "mlws/common/ids.h"
#include "mlws/common/json.h"
#include "serving/spec_fields.h"
#include "serving/stage_in.h"

namespace mlws::serving {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kEndpointTag = "mlws.batch_endpoint";
constexpr const char* kDeploymentTag = "mlws.batch_deployment";

// What an MLflow model without a driver and without `environment` is scored in: pyfunc needs
// MLflow and pandas; parquet files need pyarrow. Pinned, so every machine builds the same
// environment (built once per content hash, like every environment).
const std::vector<std::string>& MlflowScoringPackages() {
  static const std::vector<std::string> kPackages = {
      "mlflow-skinny==2.17.2", "pandas==2.2.3",      "pyarrow==17.0.0",   "numpy==1.26.4",
      "scikit-learn==1.1.3",   "xgboost-cpu==2.1.4", "cloudpickle==3.1.3"};
  return kPackages;
}

json MlflowScoringEnvironment() {
  json pip = MlflowScoringPackages();
  return {{"name", "mlws-batch-mlflow"},
          {"conda_file",
           {{"name", "mlws-batch-mlflow"},
            {"channels", {"conda-forge"}},
            {"dependencies", {"python=3", "pip", {{"pip", pip}}}}}}};
}

std::string DeploymentId(const std::string& endpoint, const std::string& name) {
  return endpoint + "/" + name;
}

using store::Documents;

Status NoSuchEndpoint(const std::string& name) {
  return NotFound(fmt::format("batch endpoint '{}' not found", name));
}

Status NoSuchDeployment(const std::string& endpoint, const std::string& name) {
  return NotFound(fmt::format("deployment '{}' not found in batch endpoint '{}'", name, endpoint));
}

store::DocumentRecord EndpointRecord(const BatchEndpoint& e) {
  return store::DocumentRecord{e.name, e.created_ms, DumpJson(BatchEndpointToJson(e))};
}

// The endpoint, locked until the transaction commits: every change to an endpoint or to one of
// its deployments locks it first, so they are serialized on every server sharing the database.
StatusOr<BatchEndpoint> LockEndpoint(store::Tx& tx, std::int64_t ws_id, const std::string& name) {
  ASSIGN_OR_RETURN(auto rec, tx.LockDocument(Documents::kBatchEndpoints, ws_id, name));
  if (!rec) return NoSuchEndpoint(name);
  return BatchEndpointFromJson(json::parse(rec->doc, nullptr, false));
}

std::string TagOf(const jobs::Job& j, const char* tag) {
  json spec = json::parse(j.spec_json, nullptr, false);
  if (!spec.is_object() || !spec.contains("tags") || !spec["tags"].is_object()) return "";
  const json& t = spec["tags"];
  return t.contains(tag) && t[tag].is_string() ? t[tag].get<std::string>() : "";
}

}  // namespace

BatchService::BatchService(store::MetadataStore& store, tracking::TrackingService& tracking,
                           jobs::JobAssets& assets, jobs::JobService& jobs)
    : store_(store), tracking_(tracking), assets_(assets), jobs_(jobs) {}

StatusOr<BatchEndpoint> BatchService::CreateEndpoint(const std::string& ws, const json& spec) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(BatchEndpoint e, ParseBatchEndpointSpec(spec));
  if (!e.default_deployment.empty()) {
    return InvalidArgument(fmt::format(
        "defaults.deployment_name names '{}', but a new endpoint has no deployments yet",
        e.default_deployment));
  }
  e.created_ms = e.updated_ms = NowMillis();
  RETURN_IF_ERROR(store_.Atomically([&](store::Tx& tx) -> Status {
    ASSIGN_OR_RETURN(auto old, tx.LockDocument(Documents::kBatchEndpoints, ws_id, e.name));
    if (old) return AlreadyExists(fmt::format("batch endpoint '{}' already exists", e.name));
    return tx.PutDocument(Documents::kBatchEndpoints, ws_id, EndpointRecord(e));
  }));
  return e;
}

StatusOr<BatchEndpoint> BatchService::GetEndpoint(const std::string& ws, const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  auto rec = store_.batch_endpoints().Get(ws_id, name);
  if (!rec.ok()) {
    if (rec.status().code() == ErrorCode::kResourceDoesNotExist) return NoSuchEndpoint(name);
    return rec.status();
  }
  return BatchEndpointFromJson(json::parse(rec->doc, nullptr, false));
}

StatusOr<BatchEndpoint> BatchService::UpdateEndpoint(const std::string& ws, const std::string& name,
                                                     const json& spec) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  BatchEndpoint e;
  RETURN_IF_ERROR(store_.Atomically([&](store::Tx& tx) -> Status {
    ASSIGN_OR_RETURN(BatchEndpoint base, LockEndpoint(tx, ws_id, name));
    ASSIGN_OR_RETURN(e, ApplyBatchEndpointUpdate(base, spec));
    if (!e.default_deployment.empty()) {
      ASSIGN_OR_RETURN(auto dep, tx.LockDocument(Documents::kBatchDeployments, ws_id,
                                                 DeploymentId(name, e.default_deployment)));
      if (!dep) {
        return InvalidArgument(
            fmt::format("defaults.deployment_name names '{}', which is not a deployment of batch "
                        "endpoint '{}'",
                        e.default_deployment, name));
      }
    }
    e.updated_ms = NowMillis();
    return tx.PutDocument(Documents::kBatchEndpoints, ws_id, EndpointRecord(e));
  }));
  return e;
}

StatusOr<std::vector<BatchEndpoint>> BatchService::ListEndpoints(const std::string& ws) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto recs, store_.batch_endpoints().List(ws_id));
  std::vector<BatchEndpoint> out;
  for (const auto& r : recs) {
    ASSIGN_OR_RETURN(BatchEndpoint e, BatchEndpointFromJson(json::parse(r.doc, nullptr, false)));
    out.push_back(std::move(e));
  }
  return out;
}

Status BatchService::DeleteEndpoint(const std::string& ws, const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  return store_.Atomically([&](store::Tx& tx) -> Status {
    ASSIGN_OR_RETURN(BatchEndpoint e, LockEndpoint(tx, ws_id, name));
    (void)e;
    ASSIGN_OR_RETURN(auto deps, tx.ListDocuments(Documents::kBatchDeployments, ws_id));
    for (const auto& d : deps) {
      if (d.id.rfind(name + "/", 0) != 0) continue;
      RETURN_IF_ERROR(tx.DeleteDocument(Documents::kBatchDeployments, ws_id, d.id));
    }
    return tx.DeleteDocument(Documents::kBatchEndpoints, ws_id, name);
  });
}

StatusOr<std::int64_t> BatchService::EndpointWs(const std::string& ws,
                                                const std::string& endpoint) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(BatchEndpoint e, GetEndpoint(ws, endpoint));
  (void)e;
  return ws_id;
}

Status BatchService::Resolve(const std::string& ws, BatchDeployment& d) {
  ASSIGN_OR_RETURN(jobs::InputSpec in, spec::ModelInput(d.model));
  ASSIGN_OR_RETURN(jobs::ResolvedPath model, assets_.ResolveInput(ws, in));
  // Checked where the files are (a blob store too): the scoring job stages them like any input.
  d.model_ref = model.asset.empty() ? model.uri : model.asset;
  ASSIGN_OR_RETURN(bool mlflow, HasFileAt(assets_, ws, model, "MLmodel"));
  if (in.type == "mlflow_model" && !mlflow) {
    return InvalidArgument("the model is declared mlflow_model but its folder has no MLmodel file");
  }
  d.model_type = mlflow ? "mlflow_model" : "custom_model";
  if (d.scoring_script.empty()) {
    if (!mlflow) {
      return InvalidArgument(
          "a custom_model needs code_configuration (code and scoring_script: a driver with "
          "init() and run(mini_batch)); only MLflow models (with an MLmodel file) are scored "
          "without a driver");
    }
  } else {
    ASSIGN_OR_RETURN(jobs::ResolvedPath code, assets_.ResolveCode(ws, d.code));
    ASSIGN_OR_RETURN(bool has_script, HasFileAt(assets_, ws, code, d.scoring_script));
    if (!has_script) {
      return InvalidArgument(fmt::format(
          "code_configuration.scoring_script '{}' is not in the code folder", d.scoring_script));
    }
  }
  if (!d.environment.is_null()) {
    auto env = assets_.CheckEnvironment(ws, d.environment);
    if (!env.ok()) return env.status();
  }
  if (!d.compute.empty() && d.compute != "local") {
    auto c = jobs_.GetCompute(ws, d.compute);
    if (!c.ok()) {
      return Status(c.status().code(), fmt::format("compute '{}' of the deployment: {}", d.compute,
                                                   c.status().message()));
    }
  }
  return Status::Ok();
}

StatusOr<BatchDeployment> BatchService::PutDeployment(const std::string& ws,
                                                      const std::string& endpoint, const json& spec,
                                                      bool update, bool set_default) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, EndpointWs(ws, endpoint));
  ASSIGN_OR_RETURN(BatchDeployment d, ParseBatchDeploymentSpec(spec, endpoint));
  RETURN_IF_ERROR(Resolve(ws, d));
  // The check (absent for a create, present for an update), the write and the endpoint's
  // default in one transaction with the endpoint locked: of concurrent creates of one name, on
  // any servers, exactly one succeeds.
  RETURN_IF_ERROR(store_.Atomically([&](store::Tx& tx) -> Status {
    ASSIGN_OR_RETURN(BatchEndpoint e, LockEndpoint(tx, ws_id, endpoint));
    const std::string id = DeploymentId(endpoint, d.name);
    ASSIGN_OR_RETURN(auto old, tx.LockDocument(Documents::kBatchDeployments, ws_id, id));
    if (update && !old) return NoSuchDeployment(endpoint, d.name);
    if (!update && old) {
      return AlreadyExists(fmt::format(
          "deployment '{}' already exists in batch endpoint '{}' (use update)", d.name, endpoint));
    }
    d.created_ms = NowMillis();
    if (old) {
      auto prev = BatchDeploymentFromJson(json::parse(old->doc, nullptr, false));
      if (prev.ok()) d.created_ms = prev->created_ms;
    }
    d.updated_ms = NowMillis();
    RETURN_IF_ERROR(tx.PutDocument(
        Documents::kBatchDeployments, ws_id,
        store::DocumentRecord{id, d.created_ms, DumpJson(BatchDeploymentToJson(d))}));
    if (set_default || e.default_deployment.empty()) {
      e.default_deployment = d.name;
      e.updated_ms = NowMillis();
      RETURN_IF_ERROR(tx.PutDocument(Documents::kBatchEndpoints, ws_id, EndpointRecord(e)));
    }
    return Status::Ok();
  }));
  return d;
}

StatusOr<BatchDeployment> BatchService::GetDeployment(const std::string& ws,
                                                      const std::string& endpoint,
                                                      const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, EndpointWs(ws, endpoint));
  auto rec = store_.batch_deployments().Get(ws_id, DeploymentId(endpoint, name));
  if (!rec.ok()) {
    if (rec.status().code() == ErrorCode::kResourceDoesNotExist) {
      return NoSuchDeployment(endpoint, name);
    }
    return rec.status();
  }
  return BatchDeploymentFromJson(json::parse(rec->doc, nullptr, false));
}

StatusOr<std::vector<BatchDeployment>> BatchService::ListDeployments(const std::string& ws,
                                                                     const std::string& endpoint) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, EndpointWs(ws, endpoint));
  ASSIGN_OR_RETURN(auto recs, store_.batch_deployments().List(ws_id));
  std::vector<BatchDeployment> out;
  for (const auto& r : recs) {
    if (r.id.rfind(endpoint + "/", 0) != 0) continue;
    ASSIGN_OR_RETURN(BatchDeployment d,
                     BatchDeploymentFromJson(json::parse(r.doc, nullptr, false)));
    out.push_back(std::move(d));
  }
  return out;
}

Status BatchService::DeleteDeployment(const std::string& ws, const std::string& endpoint,
                                      const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  return store_.Atomically([&](store::Tx& tx) -> Status {
    ASSIGN_OR_RETURN(BatchEndpoint e, LockEndpoint(tx, ws_id, endpoint));
    const std::string id = DeploymentId(endpoint, name);
    ASSIGN_OR_RETURN(auto old, tx.LockDocument(Documents::kBatchDeployments, ws_id, id));
    if (!old) return NoSuchDeployment(endpoint, name);
    ASSIGN_OR_RETURN(auto all, tx.ListDocuments(Documents::kBatchDeployments, ws_id));
    std::size_t others = 0;
    for (const auto& r : all) {
      if (r.id.rfind(endpoint + "/", 0) == 0 && r.id != id) ++others;
    }
    if (e.default_deployment == name && others > 0) {
      return InvalidArgument(fmt::format(
          "deployment '{}' is the default of batch endpoint '{}'; make another deployment the "
          "default first (batch-deployment update --set-default)",
          name, endpoint));
    }
    RETURN_IF_ERROR(tx.DeleteDocument(Documents::kBatchDeployments, ws_id, id));
    if (e.default_deployment == name) {
      e.default_deployment.clear();
      e.updated_ms = NowMillis();
      RETURN_IF_ERROR(tx.PutDocument(Documents::kBatchEndpoints, ws_id, EndpointRecord(e)));
    }
    return Status::Ok();
  });
}

StatusOr<jobs::Job> BatchService::Invoke(const std::string& ws, const std::string& endpoint,
                                         const BatchInvokeRequest& req,
                                         const auth::Principal& who) {
  ASSIGN_OR_RETURN(BatchEndpoint e, GetEndpoint(ws, endpoint));
  std::string dep_name = req.deployment.empty() ? e.default_deployment : req.deployment;
  if (dep_name.empty()) {
    return InvalidArgument(fmt::format(
        "batch endpoint '{}' has no deployment to score with; create one first", endpoint));
  }
  ASSIGN_OR_RETURN(BatchDeployment d, GetDeployment(ws, endpoint, dep_name));
  if (req.input.empty()) return InvalidArgument("'input' is required (a data asset or a URI)");
  if (req.input.rfind("azureml:", 0) != 0) {
    return InvalidArgument(
        "'input' must be a data asset (azureml:<name>:<version>, azureml:<name>@latest) or a "
        "datastore URI (azureml://datastores/<ds>/paths/<p>; the CLI uploads local folders); got "
        "'" +
        req.input + "'");
  }
  std::string input_type = req.input_type.empty() ? "uri_folder" : req.input_type;
  if (input_type != "uri_folder" && input_type != "uri_file") {
    return InvalidArgument("'input_type' must be uri_folder or uri_file (got '" + input_type +
                           "')");
  }
  json settings = BatchDeploymentToJson(d)["settings"];
  settings["instance_count"] = d.instance_count;
  json env_vars = d.environment_variables;
  env_vars["MLWS_BATCH_SETTINGS"] = DumpJson(settings);
  std::string command =
      "python3 -m mlws_batch --model ${{inputs.model}} --input ${{inputs.data}} "
      "--output ${{outputs.score}}";
  json spec = {
      {"type", "command"},
      {"display_name", fmt::format("{}-{}", endpoint, d.name)},
      {"description",
       fmt::format("batch scoring by deployment '{}' of batch endpoint '{}'", d.name, endpoint)},
      {"experiment_name", req.experiment_name.empty() ? endpoint : req.experiment_name},
      {"inputs",
       {{"model", {{"type", d.model_type}, {"path", d.model_ref}}},
        {"data", {{"type", input_type}, {"path", req.input}}}}},
      {"outputs", {{"score", {{"type", "uri_folder"}}}}},
      {"environment_variables", env_vars},
      {"tags", {{kEndpointTag, endpoint}, {kDeploymentTag, d.name}}},
  };
  if (!d.scoring_script.empty()) {
    spec["code"] = d.code;
    command += " --driver " + d.scoring_script;
  }
  spec["command"] = command;
  if (!d.environment.is_null()) {
    spec["environment"] = d.environment;
  } else if (d.scoring_script.empty()) {
    spec["environment"] = MlflowScoringEnvironment();
  }
  if (!d.compute.empty()) spec["compute"] = d.compute;
  return jobs_.Create(ws, spec, who);
}

StatusOr<std::vector<jobs::Job>> BatchService::ListJobs(const std::string& ws,
                                                        const std::string& endpoint) {
  ASSIGN_OR_RETURN(BatchEndpoint e, GetEndpoint(ws, endpoint));
  ASSIGN_OR_RETURN(auto all, jobs_.List(ws, true));
  std::vector<jobs::Job> out;
  for (auto& j : all) {
    if (TagOf(j, kEndpointTag) == endpoint) out.push_back(std::move(j));
  }
  std::sort(out.begin(), out.end(),
            [](const jobs::Job& a, const jobs::Job& b) { return a.created_at > b.created_at; });
  return out;
}

}  // namespace mlws::serving
