#include "cli/job_commands.h"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/compute_instance_commands.h"
#include "cli/output.h"
#include "cli/pipeline_commands.h"
#include "cli/shared_commands.h"
#include "cli/spec_file.h"
#include "cli/uploads.h"
#include "cli/verbs.h"

namespace mlws::cli {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct JobOpts {
  std::string file;
  std::vector<std::string> sets;
  std::string name;
  bool stream = false;
  bool include_archived = false;
  std::string download_path = ".";
  std::string output_name;
  bool all = false;
};

std::string Jobs(const Globals& g) {
  return "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/jobs";
}

const std::vector<Column>& JobColumns() {
  static const std::vector<Column> cols = {
      {"NAME", "/name"},       {"STATUS", "/status"}, {"EXPERIMENT", "/experiment_name"},
      {"COMPUTE", "/compute"}, {"RUN ID", "/run_id"}, {"CREATED", "/created_at"}};
  return cols;
}

// A sweep's trials, best first (the server sorts them by the objective).
void PrintTrials(const json& job) {
  if (!job.contains("trials") || !job["trials"].is_array()) return;
  std::cout << "objective: " << job["objective"].dump() << "\n";
  if (job.contains("best_trial") && !job["best_trial"].is_null()) {
    std::cout << "best trial: " << job["best_trial"].get<std::string>() << " (value "
              << job["best_value"].dump() << ")\n";
  }
  std::cout << "trials:\n";
  PrintResult("table", job["trials"], job["trials"],
              {{"TRIAL", "/job"},
               {"STATUS", "/status"},
               {"VALUE", "/value"},
               {"PARAMS", "/params"},
               {"ERROR", "/error"}});
}

void PrintJob(const Globals& g, const json& job) {
  if (g.output != "table") {
    PrintResult(g.output, job, json::array({job}), JobColumns());
    return;
  }
  for (const char* f :
       {"name", "display_name", "status", "queue_reason", "experiment_name", "experiment_id",
        "run_id", "compute", "command", "environment", "created_at", "started_at", "ended_at",
        "exit_code", "node_seconds", "cost", "error"}) {
    if (!job.contains(f) || job[f].is_null()) continue;
    const json& v = job[f];
    std::cout << f << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
  }
  if (IsPipeline(job)) PrintSteps(job, std::cout);
  PrintTrials(job);
}

// Uploads the local `code` folder and local input paths; fills the default experiment name.
StatusOr<json> PrepareSpec(const Globals& g, const SpecFile& f) {
  json spec = f.spec;
  if (!spec.contains("experiment_name") || spec["experiment_name"].is_null()) {
    // Azure ML names the experiment after the submitting folder; mlws uses the spec's folder,
    // so the same spec lands in the same experiment wherever it is submitted from.
    spec["experiment_name"] = fs::path(f.dir).filename().string();
  }
  if (IsPipeline(spec)) {
    RETURN_IF_ERROR(PreparePipelineSpec(g, f, spec));
    return spec;
  }
  if (spec.contains("environment")) {
    // An inline environment's conda file travels as its content.
    RETURN_IF_ERROR(InlineCondaFile(f, spec["environment"]));
  }
  if (spec.contains("code") && spec["code"].is_string()) {
    ASSIGN_OR_RETURN(std::string uri,
                     UploadSpecPath(g, f, "code", spec["code"].get<std::string>()));
    spec["code"] = uri;
  }
  // A sweep's trial: a command component file (read, its code next to it) or inline.
  if (spec.contains("trial") && spec["trial"].is_string() &&
      IsLocalPath(spec["trial"].get<std::string>())) {
    ASSIGN_OR_RETURN(SpecFile component,
                     LoadSpecFile(ResolveLocal(f, spec["trial"].get<std::string>()), {}));
    json trial = component.spec;
    if (trial.contains("code") && trial["code"].is_string()) {
      ASSIGN_OR_RETURN(trial["code"], UploadSpecPath(g, component, "trial.code",
                                                     trial["code"].get<std::string>()));
    }
    if (trial.contains("environment"))
      RETURN_IF_ERROR(InlineCondaFile(component, trial["environment"]));
    spec["trial"] = trial;
  } else if (spec.contains("trial") && spec["trial"].is_object()) {
    json& trial = spec["trial"];
    if (trial.contains("code") && trial["code"].is_string()) {
      ASSIGN_OR_RETURN(std::string uri,
                       UploadSpecPath(g, f, "trial.code", trial["code"].get<std::string>()));
      trial["code"] = uri;
    }
    if (trial.contains("environment")) RETURN_IF_ERROR(InlineCondaFile(f, trial["environment"]));
  }
  if (spec.contains("inputs") && spec["inputs"].is_object()) {
    for (auto& [name, in] : spec["inputs"].items()) {
      if (!in.is_object() || !in.contains("path") || !in["path"].is_string()) continue;
      std::string p = in["path"].get<std::string>();
      if (p.rfind("file:", 0) == 0) p = p.substr(5);
      if (!IsLocalPath(p)) continue;
      ASSIGN_OR_RETURN(std::string uri, UploadSpecPath(g, f, "inputs." + name + ".path", p));
      in["path"] = uri;
    }
  }
  return spec;
}

// Follows the job's log until it ends; returns the final job (nullopt on a failed call).
std::optional<json> Stream(const Globals& g, const std::string& name, std::ostream& out) {
  std::int64_t offset = 0;
  std::string path = Jobs(g) + "/" + UrlEscape(name);
  auto first = Call(g, "GET", path);
  if (!first) return std::nullopt;
  if (IsPipeline(*first)) return StreamPipeline(g, Jobs(g), name, out);
  for (;;) {
    auto r = Call(g, "GET", path + "/logs?offset=" + std::to_string(offset));
    if (!r) return std::nullopt;
    std::string data = (*r)["data"].get<std::string>();
    if (!data.empty()) out << data << std::flush;
    offset = (*r)["next_offset"].get<std::int64_t>();
    if ((*r)["finished"].get<bool>()) break;
    if (data.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Call(g, "GET", path);
}

// Prints the outcome of a streamed job; 0 when it completed.
int Summarize(const Globals& g, const json& job) {
  std::string status = job["status"].get<std::string>();
  if (g.output != "table") {
    PrintJob(g, job);
  } else {
    std::cout << "\nExecution summary: job " << job["name"].get<std::string>() << " " << status;
    if (!job["exit_code"].is_null()) std::cout << " (exit code " << job["exit_code"].dump() << ")";
    std::cout << "\n";
    if (IsPipeline(job)) PrintSteps(job, std::cout);
  }
  if (status == "Completed") return 0;
  std::cerr << "error: job " << job["name"].get<std::string>() << " " << status;
  if (job["error"].is_string()) std::cerr << ": " << job["error"].get<std::string>();
  std::cerr << "\n";
  return 1;
}

}  // namespace

StatusOr<json> PrepareJobSpec(const Globals& g, const SpecFile& f) { return PrepareSpec(g, f); }

void AddJobCommands(CLI::App& app, Globals& g, int& rc) {
  static auto o = std::make_unique<JobOpts>();
  auto* job = app.add_subcommand("job", "Command jobs: run scripts on the workspace's compute");
  job->require_subcommand(1);
  job->add_option("-w,--workspace", g.workspace, "Workspace")->capture_default_str();

  auto* create = job->add_subcommand("create", "Submit a job from an Azure ML commandJob YAML");
  create->add_option("-f,--file", o->file, "The job spec (YAML)")->required();
  create->add_option("--set", o->sets, "Override a field: --set inputs.lr=0.1 (repeatable)");
  create->add_option("-n,--name", o->name, "Job name (default: the spec's, else generated)");
  create->add_flag("--stream", o->stream, "Follow the job's log until it ends");
  create->callback([&] {
    auto f = LoadSpecFile(o->file, o->sets);
    if (!f.ok()) {
      std::cerr << "error: " << f.status().message() << "\n";
      return void(rc = 1);
    }
    auto spec = PrepareSpec(g, *f);
    if (!spec.ok()) {
      std::cerr << "error: " << spec.status().message() << "\n";
      return void(rc = 1);
    }
    if (!o->name.empty()) (*spec)["name"] = o->name;
    auto r = Call(g, "POST", Jobs(g), *spec);
    if (!r) return void(rc = 1);
    if (!o->stream) return PrintJob(g, *r);
    std::string name = (*r)["name"].get<std::string>();
    std::ostream& logs = g.output == "table" ? std::cout : std::cerr;
    logs << "RunId: " << name << "\n" << std::flush;
    auto done = Stream(g, name, logs);
    if (!done) return void(rc = 1);
    rc = Summarize(g, *done);
  });

  auto* list = job->add_subcommand("list", "List jobs, newest first");
  list->add_flag("--include-archived", o->include_archived, "Also archived jobs");
  list->callback([&] {
    auto r = Call(g, "GET", Jobs(g) + (o->include_archived ? "?include_archived=true" : ""));
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, (*r)["value"], JobColumns());
  });

  auto* show = job->add_subcommand("show", "Show one job");
  show->add_option("name", o->name, "Job name")->required();
  show->callback([&] {
    auto r = Call(g, "GET", Jobs(g) + "/" + UrlEscape(o->name));
    if (!r) return void(rc = 1);
    PrintJob(g, *r);
  });

  auto* stream = job->add_subcommand("stream", "Follow a job's log until it ends");
  stream->add_option("name", o->name, "Job name")->required();
  stream->callback([&] {
    auto done = Stream(g, o->name, g.output == "table" ? std::cout : std::cerr);
    if (!done) return void(rc = 1);
    rc = Summarize(g, *done);
  });

  for (const char* verb : {"cancel", "archive", "restore"}) {
    std::string v = verb;
    auto* cmd = job->add_subcommand(
        v, v == "cancel" ? "Cancel a job (SIGTERM, then SIGKILL after a grace period)"
                         : (v == "archive" ? "Hide a job from lists" : "Unhide an archived job"));
    cmd->add_option("name", o->name, "Job name")->required();
    cmd->callback([&g, &rc, v] {
      auto r = Call(g, "POST", Jobs(g) + "/" + UrlEscape(o->name) + "/" + v, json::object());
      if (!r) return void(rc = 1);
      PrintJob(g, *r);
    });
  }

  auto* dl = job->add_subcommand("download", "Download a job's logs and outputs");
  dl->add_option("name", o->name, "Job name")->required();
  dl->add_option("--download-path,-p", o->download_path, "Destination folder")
      ->capture_default_str();
  dl->add_option("--output-name", o->output_name,
                 "Only this output ('artifacts' = logs and ./outputs, or a named output)");
  dl->add_flag("--all", o->all,
               "Everything (the default); for a pipeline, every step into <path>/<step>/");
  dl->callback([&] {
    auto job = Call(g, "GET", Jobs(g) + "/" + UrlEscape(o->name));
    if (!job) return void(rc = 1);
    int n = IsPipeline(*job)
                ? DownloadPipeline(g, Jobs(g), *job, o->download_path, o->output_name)
                : DownloadJobFiles(g, Jobs(g), o->name, o->download_path, o->output_name);
    if (n < 0) return void(rc = 1);
    if (!o->output_name.empty() && n == 0) {
      std::cerr << "error: job " << o->name << " has no files in output '" << o->output_name
                << "'\n";
      return void(rc = 1);
    }
    if (g.output == "json") {
      std::cout << json{{"files", n}, {"download_path", o->download_path}}.dump(2) << "\n";
    } else {
      std::cout << "downloaded " << n << " files of job " << o->name << " to " << o->download_path
                << "\n";
    }
  });
}

void AddComputeCommands(CLI::App& app, Globals& g, int& rc) {
  static auto file = std::make_unique<std::string>();
  static auto sets = std::make_unique<std::vector<std::string>>();
  auto* compute = app.add_subcommand("compute", "Computes: local pools of job slots");
  compute->require_subcommand(1);
  compute->add_option("-w,--workspace", g.workspace, "Workspace")->capture_default_str();
  PathFn base = AddSharedFlag(compute, "computes", [&g] {
    return "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/computes";
  });
  std::vector<Column> cols = {{"NAME", "/name"},         {"TYPE", "/type"},
                              {"MIN", "/min_instances"}, {"MAX", "/max_instances"},
                              {"BUSY", "/busy"},         {"IDLE", "/idle"},
                              {"QUEUED", "/queued"},     {"NODE SECONDS", "/node_seconds"},
                              {"COST", "/cost"},         {"STATE", "/state"}};
  auto* create = compute->add_subcommand(
      "create", "Create or update a compute from an Azure ML amlcompute YAML");
  create->add_option("-f,--file", *file, "The compute spec (YAML)")->required();
  create->add_option("--set", *sets, "Override a field: --set max_instances=4 (repeatable)");
  create->callback([&g, &rc, base, cols] {
    auto f = LoadSpecFile(*file, *sets);
    if (!f.ok()) {
      std::cerr << "error: " << f.status().message() << "\n";
      return void(rc = 1);
    }
    auto r = Call(g, "POST", base(), f->spec);
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, json::array({*r}), cols);
  });
  AddListVerb(compute, g, rc, "List computes with busy/idle nodes and queued jobs", base, "value",
              cols);
  AddShowVerb(compute, g, rc, base, "value", "name", "compute");
  AddDeleteVerb(compute, g, rc, "delete", "Delete a compute (no queued or running jobs)", base,
                "name", "deleted", "compute");
  AddComputeInstanceVerbs(compute, g, rc);  // start|stop|restart (compute instances)
  AddGrantVerbs(compute, g, rc, "computes", "compute");
}

}  // namespace mlws::cli
