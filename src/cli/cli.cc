#include "mlws/cli/cli.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/asset_commands.h"
#include "cli/auth_commands.h"
#include "cli/client.h"
#include "cli/doctor.h"
#include "cli/endpoint_commands.h"
#include "cli/job_commands.h"
#include "cli/output.h"
#include "cli/quota_commands.h"
#include "cli/registry_commands.h"
#include "cli/routes_command.h"
#include "cli/schedule_commands.h"
#include "cli/secret_commands.h"
#include "cli/server_flags.h"
#include "cli/verbs.h"
#include "mlws/server/server.h"

namespace mlws::cli {

using nlohmann::json;

int Main(int argc, char** argv) {
  CLI::App app{"mlws: the machine-learning workspace server and its command line"};
  app.require_subcommand(1);
  // Global options (--url, -o/--output, --token) are accepted anywhere on the line, as `az`
  // accepts them: an option a subcommand does not know falls through to its parents.
  // Subcommands inherit this setting when they are created.
  app.fallthrough();
  Globals g;
  const char* env_url = std::getenv("MLWS_URL");
  g.url = env_url != nullptr ? env_url : "http://127.0.0.1:5000";
  const char* env_token = std::getenv("MLWS_TOKEN");
  if (env_token != nullptr) g.token = env_token;
  app.add_option("--url", g.url, "Server URL (env MLWS_URL)")->capture_default_str();
  app.add_option("-o,--output", g.output, "Output format")
      ->check(CLI::IsMember({"json", "table", "yaml", "csv"}))
      ->capture_default_str();
  app.add_option("--token", g.token,
                 "API token (env MLWS_TOKEN; default: the one `mlws login` saved)");
  int rc = 0;

  // mlws server
  server::Config cfg;
  auto* srv = app.add_subcommand("server", "Run the mlws server");
  srv->add_option("--host", cfg.host, "Address to listen on")->capture_default_str();
  srv->add_option("--port", cfg.port, "Port to listen on")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  srv->add_option("--advertise-url", cfg.advertise_url,
                  "URL other servers and users reach this server at, recorded in the database "
                  "(default http[s]://<host>:<port>, the host's name for 0.0.0.0)");
  srv->add_option("--home", cfg.home, "Data folder (default ~/.mlws)");
  srv->add_option("--backend-store-uri", cfg.backend_store_uri,
                  "Metadata store URI (default sqlite:///<home>/mlws.db)");
  srv->add_option("--artifacts-destination", cfg.artifacts_destination,
                  "Artifact store URI (default file://<home>/artifacts)");
  srv->add_option("--environments-dir", cfg.environments_dir,
                  "Folder of built job environments (default <home>/envs); servers on one "
                  "machine naming the same folder build each environment once");
  srv->add_option("--log-level", cfg.log_level, "trace|debug|info|warn|error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  srv->add_option("--admin-password-file", cfg.admin_password_file,
                  "First start on a non-loopback address: read the admin password from this file");
  srv->add_option("--tls-cert", cfg.tls_cert, "PEM certificate chain: serve HTTPS")
      ->check(CLI::ExistingFile);
  srv->add_option("--web-root", cfg.web_root, "Folder of the built studio (default: found)");
  srv->add_option("--local-datastore-root", cfg.local_datastore_roots,
                  "A folder users may attach as a local datastore (repeatable; default "
                  "<home>/datastores)");
  srv->add_option("--workspace-storage-quota-gb", cfg.workspace_storage_quota_gb,
                  "GiB each workspace may store: artifacts, uploads, job outputs (0 = no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  srv->add_option("--tls-key", cfg.tls_key, "PEM private key for --tls-cert")
      ->check(CLI::ExistingFile);
  AddFrontDoorOptions(srv, cfg);
  srv->add_flag("--allow-unsandboxed-jobs", cfg.allow_unsandboxed_jobs,
                "Where the job sandbox (bubblewrap) is unavailable, let every user run jobs "
                "unsandboxed, as the server's user (default: only server Owners)");
  srv->add_option("--job-uid", cfg.job_uid, "User id sandboxed jobs run as (server run as root)")
      ->check(CLI::Range(1, 2147483647))
      ->capture_default_str();
  srv->add_option("--job-gid", cfg.job_gid, "Group id sandboxed jobs run as (server run as root)")
      ->check(CLI::Range(1, 2147483647))
      ->capture_default_str();
  // S3 artifacts destination (docs/scale-out.md).
  srv->add_option("--s3-endpoint-url", cfg.s3_endpoint_url,
                  "S3 endpoint for an s3:// destination (default $MLFLOW_S3_ENDPOINT_URL, "
                  "$AWS_ENDPOINT_URL, else AWS)");
  srv->add_option("--s3-region", cfg.s3_region, "S3 region (default $AWS_REGION, us-east-1)");
  srv->add_option("--s3-path-style", cfg.s3_path_style,
                  "true: http://endpoint/bucket/key; false: http://bucket.endpoint/key "
                  "(default true with a custom endpoint)")
      ->check(CLI::IsMember({"true", "false"}));
  // `mlws doctor [server flags]`: the server subcommand, renamed, checks instead of serving;
  // its --help is doctor's own (cli/doctor.h).
  bool doctor = argc > 1 && std::string(argv[1]) == "doctor";
  if (doctor) {
    srv->name("doctor");
    srv->description(kDoctorDescription);
    srv->footer(kDoctorFooter);
  } else {
    app.add_subcommand("doctor",
                       "Check every backend `mlws server` would use, with the same flags (exit 1 "
                       "on any failure)")
        ->allow_extras();
  }
  srv->callback([&] { rc = doctor ? RunDoctor(cfg) : server::RunServer(cfg); });

  // mlws workspace ...
  auto* ws = app.add_subcommand("workspace", "Manage workspaces");
  ws->require_subcommand(1);
  std::string ws_name, ws_desc;
  auto* ws_create = ws->add_subcommand("create", "Create a workspace");
  ws_create->add_option("name", ws_name, "Workspace name")->required();
  ws_create->add_option("--description", ws_desc, "Description");
  ws_create->callback([&] {
    auto r = Call(g, "POST", "/api/v1/workspaces", {{"name", ws_name}, {"description", ws_desc}});
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, json::array({(*r)["workspace"]}),
                {{"NAME", "/name"}, {"DESCRIPTION", "/description"}});
  });
  AddListVerb(ws, g, rc, "List workspaces", [] { return std::string("/api/v1/workspaces"); },
              "workspaces",
              {{"NAME", "/name"}, {"DESCRIPTION", "/description"}, {"CREATED", "/creation_time"}});
  auto* ws_show = ws->add_subcommand("show", "Show a workspace");
  ws_show->add_option("name", ws_name, "Workspace name")->required();
  ws_show->callback([&] {
    auto r = Call(g, "GET", "/api/v1/workspaces/" + UrlEscape(ws_name));
    if (!r) return void(rc = 1);
    PrintResult(
        g.output, *r, json::array({(*r)["workspace"]}),
        {{"NAME", "/name"}, {"DESCRIPTION", "/description"}, {"CREATED", "/creation_time"}});
  });
  AddDeleteVerb(
      ws, g, rc, "delete", "Delete a workspace and everything in it",
      [] { return std::string("/api/v1/workspaces"); }, "name", "deleted", "workspace");

  // mlws experiment list
  auto* exp = app.add_subcommand("experiment", "Experiments");
  exp->require_subcommand(1);
  exp->add_option("-w,--workspace", g.workspace, "Workspace")->capture_default_str();
  std::string view = "ACTIVE_ONLY";
  auto* exp_list = exp->add_subcommand("list", "List experiments");
  exp_list->add_option("--view", view, "ACTIVE_ONLY|DELETED_ONLY|ALL")
      ->check(CLI::IsMember({"ACTIVE_ONLY", "DELETED_ONLY", "ALL"}));
  exp_list->callback([&] {
    json all = json::array();
    std::string token;
    do {
      json body = {{"max_results", 1000}, {"view_type", view}};
      if (!token.empty()) body["page_token"] = token;
      auto r = Call(g, "POST", MlflowPrefix(g) + "/experiments/search", body);
      if (!r) return void(rc = 1);
      for (auto& e : r->value("experiments", json::array())) all.push_back(e);
      token = r->value("next_page_token", "");
    } while (!token.empty());
    PrintResult(g.output, json{{"experiments", all}}, all,
                {{"ID", "/experiment_id"},
                 {"NAME", "/name"},
                 {"STAGE", "/lifecycle_stage"},
                 {"ARTIFACT LOCATION", "/artifact_location"}});
  });

  // mlws run list|show
  auto* run = app.add_subcommand("run", "Runs");
  run->require_subcommand(1);
  run->add_option("-w,--workspace", g.workspace, "Workspace")->capture_default_str();
  std::vector<std::string> exp_ids;
  std::string filter;
  int max_results = 100;
  auto* run_list = run->add_subcommand("list", "List runs of experiments");
  run_list->add_option("-e,--experiment-id", exp_ids, "Experiment id(s)")->required();
  run_list->add_option("--filter", filter, "MLflow filter string, e.g. \"metrics.acc > 0.9\"");
  run_list->add_option("--max-results", max_results, "At most this many runs")
      ->check(CLI::Range(1, 50000));
  run_list->callback([&] {
    json body = {{"experiment_ids", exp_ids}, {"filter", filter}, {"max_results", max_results}};
    auto r = Call(g, "POST", MlflowPrefix(g) + "/runs/search", body);
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, r->value("runs", json::array()),
                {{"RUN ID", "/info/run_id"},
                 {"NAME", "/info/run_name"},
                 {"STATUS", "/info/status"},
                 {"START", "/info/start_time"},
                 {"EXPERIMENT", "/info/experiment_id"}});
  });
  std::string run_id;
  auto* run_show = run->add_subcommand("show", "Show one run with its params, metrics and tags");
  run_show->add_option("run_id", run_id, "Run id")->required();
  run_show->callback([&] {
    auto r = Call(g, "GET", MlflowPrefix(g) + "/runs/get?run_id=" + UrlEscape(run_id));
    if (!r) return void(rc = 1);
    if (g.output == "json") {
      std::cout << r->dump(2) << "\n";
      return;
    }
    const json& info = (*r)["run"]["info"];
    const json& data = (*r)["run"]["data"];
    for (const char* f : {"run_id", "run_name", "experiment_id", "status", "start_time", "end_time",
                          "artifact_uri", "lifecycle_stage"}) {
      if (info.contains(f)) {
        std::cout << f << ": "
                  << (info[f].is_string() ? info[f].get<std::string>() : info[f].dump()) << "\n";
      }
    }
    for (const char* section : {"params", "metrics", "tags"}) {
      if (!data.contains(section)) continue;
      std::cout << section << ":\n";
      for (const auto& kv : data[section]) {
        std::cout << "  " << kv["key"].get<std::string>() << " = "
                  << (kv["value"].is_string() ? kv["value"].get<std::string>() : kv["value"].dump())
                  << "\n";
      }
    }
  });

  AddAuthCommands(app, g, rc);
  AddRoutesCommand(app, g);
  AddSecretCommands(app, g, rc);
  AddAssetCommands(app, g, rc);
  AddJobCommands(app, g, rc);
  AddComputeCommands(app, g, rc);
  AddScheduleCommands(app, g, rc);
  AddEndpointCommands(app, g, rc);
  AddRegistryCommands(app, g, rc);
  AddQuotaCommands(app, g, rc);
  AddCostCommands(app, g, rc);
  AddBatchEndpointCommands(app, g, rc);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return rc;
}

}  // namespace mlws::cli
