#include "cli/endpoint_commands.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/http_client.h"
#include "cli/output.h"
#include "cli/spec_file.h"
#include "cli/uploads.h"

namespace mlws::cli {

using nlohmann::json;
namespace fs = std::filesystem;

void PrintOne(const Globals& g, const json& item, const std::vector<Column>& cols) {
  if (g.output != "table") return PrintResult(g.output, item, json::array({item}), cols);
  for (const auto& [k, v] : item.items()) {
    if (v.is_null() || (v.is_string() && v.get<std::string>().empty())) continue;
    std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
  }
}

void Fail(int& rc, const Status& st) {
  std::cerr << "error: " << st.message() << "\n";
  rc = 1;
}

CLI::App* AddEndpointShowListDelete(CLI::App* ep, Globals& g, int& rc, std::string& name, bool& yes,
                                    const std::string& noun,
                                    std::function<std::string(const std::string&)> one,
                                    std::function<std::string()> many,
                                    const std::vector<Column>& cols) {
  auto* show = ep->add_subcommand("show", "Show a " + noun);
  show->add_option("-n,--name", name, "Endpoint name")->required();
  show->callback([&g, &rc, &name, one, &cols] {
    auto r = Call(g, "GET", one(name));
    if (!r) return void(rc = 1);
    PrintOne(g, *r, cols);
  });

  ep->add_subcommand("list", "List the workspace's " + noun + "s")
      ->callback([&g, &rc, many, &cols] {
        auto r = Call(g, "GET", many());
        if (!r) return void(rc = 1);
        PrintResult(g.output, *r, (*r)["value"], cols);
      });

  auto* del = ep->add_subcommand("delete", "Delete a " + noun + " and all its deployments");
  del->add_option("-n,--name", name, "Endpoint name")->required();
  del->add_flag("-y,--yes", yes, "Do not ask (accepted for az ml compatibility)");
  del->callback([&g, &rc, &name, one, noun] {
    auto r = Call(g, "DELETE", one(name));
    if (!r) return void(rc = 1);
    std::cout << "deleted " << noun << " " << name << "\n";
  });
  return del;
}

// The spec of `create`/`update`: from -f (with --set) or, without a file, from --set alone.
StatusOr<SpecFile> SpecOf(const std::string& file, const std::vector<std::string>& sets,
                          bool file_required) {
  if (!file.empty()) return LoadSpecFile(file, sets);
  if (file_required) return InvalidArgument("-f/--file is required");
  SpecFile f;
  f.dir = fs::current_path().string();
  f.spec = json::object();
  RETURN_IF_ERROR(ApplySets(f.spec, sets));
  return f;
}

// Uploads the deployment's local model and code folders; inlines its conda file.
Status PrepareDeployment(const Globals& g, SpecFile& f) {
  json& spec = f.spec;
  if (spec.contains("model") && spec["model"].is_object() && spec["model"].contains("path") &&
      spec["model"]["path"].is_string()) {
    std::string p = spec["model"]["path"].get<std::string>();
    if (p.rfind("file:", 0) == 0) p = p.substr(5);
    if (IsLocalPath(p)) {
      std::string local = ResolveLocal(f, p);
      ASSIGN_OR_RETURN(std::string uri, UploadSpecPath(g, f, "model.path", p));
      spec["model"]["path"] = uri;
      // Azure ML shows the model under AZUREML_MODEL_DIR/<its folder's name>.
      fs::path lp = fs::path(local);
      if (!lp.has_filename()) lp = lp.parent_path();
      spec["model"]["folder_name"] = fs::weakly_canonical(lp).filename().string();
    }
  }
  if (spec.contains("code_configuration") && spec["code_configuration"].is_object()) {
    json& cc = spec["code_configuration"];
    if (cc.contains("code") && cc["code"].is_string()) {
      ASSIGN_OR_RETURN(std::string uri, UploadSpecPath(g, f, "code_configuration.code",
                                                       cc["code"].get<std::string>()));
      cc["code"] = uri;
    }
  }
  if (spec.contains("environment")) RETURN_IF_ERROR(InlineCondaFile(f, spec["environment"]));
  return Status::Ok();
}

namespace {

struct EpOpts {
  std::string file;
  std::vector<std::string> sets;
  std::string name;
  std::string endpoint;
  std::string traffic;
  std::string mirror_traffic;
  std::string request_file;
  std::string deployment;
  std::string key_type = "primary";
  bool all_traffic = false;
  bool no_wait = false;
  bool yes = false;
  int lines = 100;
};

std::string Endpoints(const Globals& g) {
  return "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/online-endpoints";
}
std::string Endpoint(const Globals& g, const std::string& name) {
  return Endpoints(g) + "/" + UrlEscape(name);
}
std::string Deployments(const Globals& g, const std::string& endpoint) {
  return Endpoint(g, endpoint) + "/deployments";
}

const std::vector<Column>& EndpointColumns() {
  static const std::vector<Column> cols = {{"NAME", "/name"},
                                           {"AUTH MODE", "/auth_mode"},
                                           {"TRAFFIC", "/traffic"},
                                           {"MIRROR", "/mirror_traffic"},
                                           {"SCORING URI", "/scoring_uri"}};
  return cols;
}

const std::vector<Column>& DeploymentColumns() {
  static const std::vector<Column> cols = {{"NAME", "/name"},
                                           {"ENDPOINT", "/endpoint_name"},
                                           {"STATE", "/provisioning_state"},
                                           {"INSTANCES", "/instance_count"},
                                           {"MODEL", "/model_ref"},
                                           {"ERROR", "/error"}};
  return cols;
}

// Polls the deployment until it is no longer Creating/Updating.
std::optional<json> WaitDeployment(const Globals& g, const std::string& endpoint,
                                   const std::string& name) {
  for (;;) {
    auto r = Call(g, "GET", Deployments(g, endpoint) + "/" + UrlEscape(name));
    if (!r) return std::nullopt;
    std::string state = (*r)["provisioning_state"].get<std::string>();
    if (state != "Creating" && state != "Updating") return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

void AddOnlineEndpoint(CLI::App& app, Globals& g, int& rc, EpOpts& o) {
  auto* ep = app.add_subcommand("online-endpoint", "Online endpoints: HTTPS scoring of models");
  ep->require_subcommand(1);
  ep->add_option("-w,--workspace", g.workspace, "Workspace")->capture_default_str();

  auto* create =
      ep->add_subcommand("create", "Create an endpoint from a managedOnlineEndpoint YAML");
  create->add_option("-f,--file", o.file, "The endpoint spec (YAML)")->required();
  create->add_option("-n,--name", o.name, "Endpoint name (default: the spec's)");
  create->add_option("--set", o.sets, "Override a field (repeatable)");
  create->callback([&] {
    auto f = SpecOf(o.file, o.sets, true);
    if (!f.ok()) return Fail(rc, f.status());
    if (!o.name.empty()) f->spec["name"] = o.name;
    auto r = Call(g, "POST", Endpoints(g), f->spec);
    if (!r) return void(rc = 1);
    PrintOne(g, *r, EndpointColumns());
  });

  auto* update = ep->add_subcommand(
      "update", "Update an endpoint: traffic, mirror traffic, description, tags");
  update->add_option("-f,--file", o.file, "The endpoint spec (YAML)");
  update->add_option("-n,--name", o.name, "Endpoint name (default: the spec's)");
  update->add_option("--set", o.sets, "Set a field: --set traffic=\"blue=90 green=10\"");
  update->add_option("--traffic", o.traffic, "Traffic split: \"blue=90 green=10\"");
  update->add_option("--mirror-traffic", o.mirror_traffic, "Mirror share: \"green=10\"");
  update->callback([&] {
    auto f = SpecOf(o.file, o.sets, false);
    if (!f.ok()) return Fail(rc, f.status());
    std::string name = o.name.empty() ? f->spec.value("name", "") : o.name;
    if (name.empty()) return Fail(rc, InvalidArgument("name the endpoint: --name or -f"));
    f->spec.erase("$schema");
    if (!o.traffic.empty()) f->spec["traffic"] = o.traffic;
    if (!o.mirror_traffic.empty()) f->spec["mirror_traffic"] = o.mirror_traffic;
    auto r = Call(g, "PATCH", Endpoint(g, name), f->spec);
    if (!r) return void(rc = 1);
    PrintOne(g, *r, EndpointColumns());
  });

  auto* del = AddEndpointShowListDelete(
      ep, g, rc, o.name, o.yes, "online endpoint",
      [&g](const std::string& n) { return Endpoint(g, n); }, [&g] { return Endpoints(g); },
      EndpointColumns());
  del->add_flag("--no-wait", o.no_wait, "Accepted for az ml compatibility");

  auto* creds = ep->add_subcommand("get-credentials", "Show the endpoint's keys");
  creds->add_option("-n,--name", o.name, "Endpoint name")->required();
  creds->callback([&] {
    auto r = Call(g, "POST", Endpoint(g, o.name) + "/list-keys", json::object());
    if (!r) return void(rc = 1);
    std::cout << r->dump(2) << "\n";
  });

  auto* regen = ep->add_subcommand("regenerate-keys", "Replace the primary or secondary key");
  regen->add_option("-n,--name", o.name, "Endpoint name")->required();
  regen->add_option("--key-type", o.key_type, "primary | secondary")->capture_default_str();
  regen->callback([&] {
    auto r =
        Call(g, "POST", Endpoint(g, o.name) + "/regenerate-keys", json{{"key_type", o.key_type}});
    if (!r) return void(rc = 1);
    std::cout << r->dump(2) << "\n";
  });

  auto* invoke = ep->add_subcommand("invoke", "Score a request with the endpoint");
  invoke->add_option("-n,--name", o.name, "Endpoint name")->required();
  invoke->add_option("-r,--request-file", o.request_file, "The request body (JSON)")->required();
  invoke->add_option("-d,--deployment-name", o.deployment,
                     "Send to this deployment (azureml-model-deployment), whatever the traffic");
  invoke->callback([&] {
    std::ifstream in(o.request_file, std::ios::binary);
    if (!in) return Fail(rc, NotFound(o.request_file + ": no such file"));
    std::stringstream body;
    body << in.rdbuf();
    auto e = Call(g, "GET", Endpoint(g, o.name));
    if (!e) return void(rc = 1);
    std::string auth = AuthorizationFor(g);
    if ((*e)["auth_mode"] == "key") {
      auto keys = Call(g, "POST", Endpoint(g, o.name) + "/list-keys", json::object());
      if (!keys) return void(rc = 1);
      auth = "Bearer " + (*keys)["primaryKey"].get<std::string>();
    }
    std::vector<std::string> headers;
    if (!o.deployment.empty()) headers.push_back("azureml-model-deployment: " + o.deployment);
    auto r = HttpCall("POST", BaseUrl(g) + Endpoint(g, o.name) + "/score", body.str(), auth, 300,
                      headers);
    if (!r.ok()) return Fail(rc, r.status());
    if (r->status < 200 || r->status >= 300) {
      PrintHttpError(r->status, r->body);
      return void(rc = 1);
    }
    std::cout << r->body << "\n";
  });
}

void AddOnlineDeployment(CLI::App& app, Globals& g, int& rc, EpOpts& o) {
  auto* dep = app.add_subcommand("online-deployment", "Deployments of online endpoints");
  dep->require_subcommand(1);
  dep->add_option("-w,--workspace", g.workspace, "Workspace")->capture_default_str();

  for (const char* verb : {"create", "update"}) {
    bool update = std::string(verb) == "update";
    auto* cmd = dep->add_subcommand(
        verb, update ? "Update a deployment (new instances start before the old retire)"
                     : "Create a deployment from a managedOnlineDeployment YAML");
    cmd->add_option("-f,--file", o.file, "The deployment spec (YAML)")->required();
    cmd->add_option("-n,--name", o.name, "Deployment name (default: the spec's)");
    cmd->add_option("-e,--endpoint-name", o.endpoint, "Endpoint (default: the spec's)");
    cmd->add_option("--set", o.sets, "Override a field (repeatable)");
    if (!update) cmd->add_flag("--all-traffic", o.all_traffic, "Send all traffic to it once ready");
    cmd->add_flag("--no-wait", o.no_wait, "Return at once (provisioning continues)");
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
      auto r = update ? Call(g, "PATCH", Deployments(g, endpoint) + "/" + UrlEscape(name), f->spec)
                      : Call(g, "POST", Deployments(g, endpoint), f->spec);
      if (!r) return void(rc = 1);
      if (o.no_wait) return PrintOne(g, *r, DeploymentColumns());
      auto done = WaitDeployment(g, endpoint, name);
      if (!done) return void(rc = 1);
      if ((*done)["provisioning_state"] != "Succeeded") {
        std::cerr << "error: deployment " << name << " "
                  << (*done)["provisioning_state"].get<std::string>() << ": "
                  << done->value("error", "") << "\n";
        return void(rc = 1);
      }
      if (o.all_traffic) {
        auto t = Call(g, "PATCH", Endpoint(g, endpoint), json{{"traffic", {{name, 100}}}});
        if (!t) return void(rc = 1);
      }
      PrintOne(g, *done, DeploymentColumns());
    });
  }

  auto* show = dep->add_subcommand("show", "Show a deployment");
  show->add_option("-n,--name", o.name, "Deployment name")->required();
  show->add_option("-e,--endpoint-name", o.endpoint, "Endpoint")->required();
  show->callback([&] {
    auto r = Call(g, "GET", Deployments(g, o.endpoint) + "/" + UrlEscape(o.name));
    if (!r) return void(rc = 1);
    PrintOne(g, *r, DeploymentColumns());
  });

  auto* list = dep->add_subcommand("list", "List an endpoint's deployments");
  list->add_option("-e,--endpoint-name", o.endpoint, "Endpoint")->required();
  list->callback([&] {
    auto r = Call(g, "GET", Deployments(g, o.endpoint));
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, (*r)["value"], DeploymentColumns());
  });

  auto* del = dep->add_subcommand("delete", "Delete a deployment (it must take no traffic)");
  del->add_option("-n,--name", o.name, "Deployment name")->required();
  del->add_option("-e,--endpoint-name", o.endpoint, "Endpoint")->required();
  del->add_flag("-y,--yes", o.yes, "Do not ask (accepted for az ml compatibility)");
  del->callback([&] {
    auto r = Call(g, "DELETE", Deployments(g, o.endpoint) + "/" + UrlEscape(o.name));
    if (!r) return void(rc = 1);
    std::cout << "deleted online deployment " << o.name << "\n";
  });

  auto* logs = dep->add_subcommand("get-logs", "The tail of the newest instance's log");
  logs->add_option("-n,--name", o.name, "Deployment name")->required();
  logs->add_option("-e,--endpoint-name", o.endpoint, "Endpoint")->required();
  logs->add_option("-l,--lines", o.lines, "How many lines")->capture_default_str();
  logs->callback([&] {
    auto r = Call(g, "GET",
                  Deployments(g, o.endpoint) + "/" + UrlEscape(o.name) +
                      "/logs?lines=" + std::to_string(o.lines));
    if (!r) return void(rc = 1);
    std::cout << (*r)["logs"].get<std::string>();
  });
}

}  // namespace

void AddEndpointCommands(CLI::App& app, Globals& g, int& rc) {
  static auto o = std::make_unique<EpOpts>();
  AddOnlineEndpoint(app, g, rc, *o);
  AddOnlineDeployment(app, g, rc, *o);
}

}  // namespace mlws::cli
