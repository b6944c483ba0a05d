// `mlws batch-endpoint …` and `mlws batch-deployment …`, as `az ml` (docs/endpoints.md).
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/endpoint_commands.h"
#include "cli/http_client.h"
#include "cli/uploads.h"

namespace mlws::cli {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct BatchOpts {
  std::string file;
  std::vector<std::string> sets;
  std::string name;
  std::string endpoint;
  std::string input;
  std::string input_type;
  std::string deployment;
  std::string experiment;
  bool set_default = false;
  bool yes = false;
};

std::string Endpoints(const Globals& g) {
  return "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/batch-endpoints";
}
std::string Endpoint(const Globals& g, const std::string& name) {
  return Endpoints(g) + "/" + UrlEscape(name);
}
std::string Deployments(const Globals& g, const std::string& endpoint) {
  return Endpoint(g, endpoint) + "/deployments";
}

const std::vector<Column>& EndpointColumns() {
  static const std::vector<Column> cols = {{"NAME", "/name"},
                                           {"DEFAULT DEPLOYMENT", "/default_deployment"},
                                           {"DESCRIPTION", "/description"}};
  return cols;
}

const std::vector<Column>& DeploymentColumns() {
  static const std::vector<Column> cols = {{"NAME", "/name"},
                                           {"ENDPOINT", "/endpoint_name"},
                                           {"MODEL", "/model_ref"},
                                           {"COMPUTE", "/compute"},
                                           {"INSTANCES", "/instance_count"}};
  return cols;
}

const std::vector<Column>& JobColumns() {
  static const std::vector<Column> cols = {
      {"NAME", "/name"}, {"STATUS", "/status"}, {"DISPLAY NAME", "/display_name"}};
  return cols;
}

void AddBatchEndpoint(CLI::App& app, Globals& g, int& rc, BatchOpts& o) {
  auto* ep = app.add_subcommand("batch-endpoint", "Batch endpoints: score data in jobs");
  ep->require_subcommand(1);
  ep->add_option("-w,--workspace", g.workspace, "Workspace")->capture_default_str();

  for (const char* verb : {"create", "update"}) {
    bool update = std::string(verb) == "update";
    auto* cmd = ep->add_subcommand(verb, update ? "Update a batch endpoint (description, tags, "
                                                  "defaults.deployment_name)"
                                                : "Create a batch endpoint from a batchEndpoint "
                                                  "YAML");
    cmd->add_option("-f,--file", o.file, "The endpoint spec (YAML)");
    cmd->add_option("-n,--name", o.name, "Endpoint name (default: the spec's)");
    cmd->add_option("--set", o.sets, "Set a field (repeatable)");
    cmd->callback([&g, &rc, &o, update] {
      auto f = SpecOf(o.file, o.sets, !update);
      if (!f.ok()) return Fail(rc, f.status());
      if (!o.name.empty()) f->spec["name"] = o.name;
      std::string name = f->spec.value("name", "");
      if (update && name.empty()) return Fail(rc, InvalidArgument("name the endpoint: --name"));
      f->spec.erase("$schema");
      auto r = update ? Call(g, "PATCH", Endpoint(g, name), f->spec)
                      : Call(g, "POST", Endpoints(g), f->spec);
      if (!r) return void(rc = 1);
      PrintOne(g, *r, EndpointColumns());
    });
  }

  AddEndpointShowListDelete(
      ep, g, rc, o.name, o.yes, "batch endpoint",
      [&g](const std::string& n) { return Endpoint(g, n); }, [&g] { return Endpoints(g); },
      EndpointColumns());

  auto* invoke = ep->add_subcommand("invoke", "Start a scoring job over a data asset or folder");
  invoke->add_option("-n,--name", o.name, "Endpoint name")->required();
  invoke
      ->add_option("-i,--input", o.input,
                   "azureml:<data>:<version> / @latest, a datastore URI, or a local folder or "
                   "file (uploaded)")
      ->required();
  invoke->add_option("--input-type", o.input_type, "uri_folder (default) | uri_file");
  invoke->add_option("-d,--deployment-name", o.deployment,
                     "Score with this deployment (default: the endpoint's default)");
  invoke->add_option("-e,--experiment-name", o.experiment,
                     "Experiment of the job (default: the endpoint's name)");
  invoke->callback([&] {
    std::string input = o.input;
    std::string type = o.input_type;
    if (input.rfind("azureml:", 0) != 0) {
      std::error_code ec;
      if (!fs::exists(input, ec)) {
        return Fail(rc, NotFound("--input '" + input +
                                 "' is neither an azureml: reference nor a local file or folder"));
      }
      if (type.empty()) type = fs::is_directory(input, ec) ? "uri_folder" : "uri_file";
      auto uri = UploadLocalPath(g, input);
      if (!uri.ok()) return Fail(rc, uri.status());
      input = *uri;
    }
    json body = {{"input", input}};
    if (!type.empty()) body["input_type"] = type;
    if (!o.deployment.empty()) body["deployment_name"] = o.deployment;
    if (!o.experiment.empty()) body["experiment_name"] = o.experiment;
    auto r = Call(g, "POST", Endpoint(g, o.name) + "/invoke", body);
    if (!r) return void(rc = 1);
    PrintOne(g, *r, JobColumns());
  });

  auto* jobs = ep->add_subcommand("list-jobs", "The scoring jobs of a batch endpoint");
  jobs->add_option("-n,--name", o.name, "Endpoint name")->required();
  jobs->callback([&] {
    auto r = Call(g, "GET", Endpoint(g, o.name) + "/jobs");
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, (*r)["value"], JobColumns());
  });
}

void AddBatchDeployment(CLI::App& app, Globals& g, int& rc, BatchOpts& o) {
  auto* dep = app.add_subcommand("batch-deployment", "Model deployments of batch endpoints");
  dep->require_subcommand(1);
  dep->add_option("-w,--workspace", g.workspace, "Workspace")->capture_default_str();

  for (const char* verb : {"create", "update"}) {
    bool update = std::string(verb) == "update";
    auto* cmd = dep->add_subcommand(verb, update ? "Update a batch deployment"
                                                 : "Create a deployment from a "
                                                   "modelBatchDeployment YAML");
    cmd->add_option("-f,--file", o.file, "The deployment spec (YAML)")->required();
    cmd->add_option("-n,--name", o.name, "Deployment name (default: the spec's)");
    cmd->add_option("-e,--endpoint-name", o.endpoint, "Endpoint (default: the spec's)");
    cmd->add_option("--set", o.sets, "Override a field (repeatable)");
    cmd->add_flag("--set-default", o.set_default, "Make it the endpoint's default deployment");
    cmd->callback([&g, &rc, &o, update] {
      auto f = SpecOf(o.file, o.sets, true);
      if (!f.ok()) return Fail(rc, f.status());
      if (!o.name.empty()) f->spec["name"] = o.name;
      if (!o.endpoint.empty()) f->spec["endpoint_name"] = o.endpoint;
      std::string endpoint = f->spec.value("endpoint_name", "");
      std::string name = f->spec.value("name", "");
      if (endpoint.empty()) return Fail(rc, InvalidArgument("name the endpoint: --endpoint-name"));
      Status st = PrepareDeployment(g, *f);
      if (!st.ok()) return Fail(rc, st);
      std::string q = o.set_default ? "?set_default=true" : "";
      auto r = update
                   ? Call(g, "PATCH", Deployments(g, endpoint) + "/" + UrlEscape(name) + q, f->spec)
                   : Call(g, "POST", Deployments(g, endpoint) + q, f->spec);
      if (!r) return void(rc = 1);
      PrintOne(g, *r, DeploymentColumns());
    });
  }

  auto* show = dep->add_subcommand("show", "Show a batch deployment");
  show->add_option("-n,--name", o.name, "Deployment name")->required();
  show->add_option("-e,--endpoint-name", o.endpoint, "Endpoint")->required();
  show->callback([&] {
    auto r = Call(g, "GET", Deployments(g, o.endpoint) + "/" + UrlEscape(o.name));
    if (!r) return void(rc = 1);
    PrintOne(g, *r, DeploymentColumns());
  });

  auto* list = dep->add_subcommand("list", "List a batch endpoint's deployments");
  list->add_option("-e,--endpoint-name", o.endpoint, "Endpoint")->required();
  list->callback([&] {
    auto r = Call(g, "GET", Deployments(g, o.endpoint));
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, (*r)["value"], DeploymentColumns());
  });

  auto* del = dep->add_subcommand("delete", "Delete a batch deployment");
  del->add_option("-n,--name", o.name, "Deployment name")->required();
  del->add_option("-e,--endpoint-name", o.endpoint, "Endpoint")->required();
  del->add_flag("-y,--yes", o.yes, "Do not ask (accepted for az ml compatibility)");
  del->callback([&] {
    auto r = Call(g, "DELETE", Deployments(g, o.endpoint) + "/" + UrlEscape(o.name));
    if (!r) return void(rc = 1);
    std::cout << "deleted batch deployment " << o.name << "\n";
  });
}

}  // namespace

void AddBatchEndpointCommands(CLI::App& app, Globals& g, int& rc) {
  static auto o = std::make_unique<BatchOpts>();
  AddBatchEndpoint(app, g, rc, *o);
  AddBatchDeployment(app, g, rc, *o);
}

}  // namespace mlws::cli
