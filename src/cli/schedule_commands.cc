#include "cli/schedule_commands.h"

#include <iostream>
#include <memory>

#include "cli/job_commands.h"
#include "cli/output.h"
#include "cli/spec_file.h"
#include "cli/verbs.h"

namespace mlws::cli {

using nlohmann::json;

namespace {

struct ScheduleOpts {
  std::string file;
  std::vector<std::string> sets;
  std::string name;
};

std::string Schedules(const Globals& g) {
  return "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/schedules";
}

const std::vector<Column>& ScheduleColumns() {
  static const std::vector<Column> cols = {{"NAME", "/name"},
                                           {"ENABLED", "/is_enabled"},
                                           {"TRIGGER", "/trigger/type"},
                                           {"NEXT FIRE", "/next_fire_time"},
                                           {"LAST FIRE", "/last_fire_time"},
                                           {"LAST JOB", "/jobs/0/job_name"}};
  return cols;
}

void PrintSchedule(const Globals& g, const json& s) {
  if (g.output != "table") {
    PrintResult(g.output, s, json::array({s}), ScheduleColumns());
    return;
  }
  for (const char* f : {"name", "display_name", "description", "is_enabled", "owner"}) {
    if (!s.contains(f) || s[f].is_null()) continue;
    std::cout << f << ": " << (s[f].is_string() ? s[f].get<std::string>() : s[f].dump()) << "\n";
  }
  std::cout << "trigger: " << s["trigger"].dump() << "\n";
  std::cout << "next fire times:";
  if (s["next_fire_times"].empty()) std::cout << " none";
  std::cout << "\n";
  for (const auto& t : s["next_fire_times"]) std::cout << "  " << t.get<std::string>() << "\n";
  std::cout << "jobs created:";
  if (s["jobs"].empty()) std::cout << " none";
  std::cout << "\n";
  for (const auto& j : s["jobs"]) {
    std::cout << "  " << j["fire_time"].get<std::string>() << "  "
              << (j["job_name"].is_string() ? j["job_name"].get<std::string>() : "-");
    if (j["error"].is_string()) std::cout << "  " << j["error"].get<std::string>();
    std::cout << "\n";
  }
}

// A job spec read from a local YAML file next to the schedule, prepared as `job create` would.
StatusOr<json> LocalJob(const Globals& g, const SpecFile& schedule, const std::string& path) {
  ASSIGN_OR_RETURN(SpecFile job, LoadSpecFile(ResolveLocal(schedule, path), {}));
  return PrepareJobSpec(g, job);
}

// create_job as the server takes it: local files read and their code uploaded.
StatusOr<json> PrepareSchedule(const Globals& g, const SpecFile& f) {
  json spec = f.spec;
  if (!spec.contains("create_job")) return spec;
  json& cj = spec["create_job"];
  if (cj.is_string() && IsLocalPath(cj.get<std::string>())) {
    ASSIGN_OR_RETURN(cj, LocalJob(g, f, cj.get<std::string>()));
  } else if (cj.is_object() && cj.contains("job")) {
    if (cj["job"].is_string() && IsLocalPath(cj["job"].get<std::string>())) {
      ASSIGN_OR_RETURN(cj["job"], LocalJob(g, f, cj["job"].get<std::string>()));
    } else if (cj["job"].is_object()) {
      ASSIGN_OR_RETURN(cj["job"], PrepareJobSpec(g, SpecFile{f.path, f.dir, cj["job"]}));
    }
  } else if (cj.is_object()) {
    ASSIGN_OR_RETURN(cj, PrepareJobSpec(g, SpecFile{f.path, f.dir, cj}));
  }
  return spec;
}

StatusOr<json> ReadSchedule(const Globals& g, const ScheduleOpts& o) {
  ASSIGN_OR_RETURN(SpecFile f, LoadSpecFile(o.file, o.sets));
  ASSIGN_OR_RETURN(json spec, PrepareSchedule(g, f));
  if (!o.name.empty()) spec["name"] = o.name;
  return spec;
}

}  // namespace

void AddScheduleCommands(CLI::App& app, Globals& g, int& rc) {
  static auto o = std::make_unique<ScheduleOpts>();
  auto* sch = app.add_subcommand("schedule", "Schedules: create jobs on a cron or recurrence");
  sch->require_subcommand(1);
  sch->add_option("-w,--workspace", g.workspace, "Workspace")->capture_default_str();

  auto* create = sch->add_subcommand("create", "Create a schedule from an Azure ML schedule YAML");
  create->add_option("-f,--file", o->file, "The schedule spec (YAML)")->required();
  create->add_option("--set", o->sets, "Override a field: --set trigger.interval=2 (repeatable)");
  create->add_option("-n,--name", o->name, "Schedule name (default: the spec's)");
  create->callback([&] {
    auto spec = ReadSchedule(g, *o);
    if (!spec.ok()) {
      std::cerr << "error: " << spec.status().message() << "\n";
      return void(rc = 1);
    }
    auto r = Call(g, "POST", Schedules(g), *spec);
    if (!r) return void(rc = 1);
    PrintSchedule(g, *r);
  });

  auto* update = sch->add_subcommand("update", "Replace a schedule's trigger and job");
  update->add_option("-f,--file", o->file, "The schedule spec (YAML)")->required();
  update->add_option("--set", o->sets, "Override a field (repeatable)");
  update->add_option("-n,--name", o->name, "Schedule name (default: the spec's)");
  update->callback([&] {
    auto spec = ReadSchedule(g, *o);
    if (!spec.ok()) {
      std::cerr << "error: " << spec.status().message() << "\n";
      return void(rc = 1);
    }
    if (!(*spec).contains("name") || !(*spec)["name"].is_string()) {
      std::cerr << "error: the spec has no name (pass -n NAME)\n";
      return void(rc = 1);
    }
    auto r =
        Call(g, "PUT", Schedules(g) + "/" + UrlEscape((*spec)["name"].get<std::string>()), *spec);
    if (!r) return void(rc = 1);
    PrintSchedule(g, *r);
  });

  auto* list = sch->add_subcommand("list", "List schedules with their next fire times");
  list->callback([&] {
    auto r = Call(g, "GET", Schedules(g));
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, (*r)["value"], ScheduleColumns());
  });

  auto* show = sch->add_subcommand("show", "Show a schedule, its next fire times and its jobs");
  show->add_option("name", o->name, "Schedule name")->required();
  show->callback([&] {
    auto r = Call(g, "GET", Schedules(g) + "/" + UrlEscape(o->name));
    if (!r) return void(rc = 1);
    PrintSchedule(g, *r);
  });

  for (const char* verb : {"enable", "disable"}) {
    std::string v = verb;
    auto* cmd = sch->add_subcommand(
        v, v == "enable" ? "Resume a schedule (from the next time)" : "Pause a schedule");
    cmd->add_option("name", o->name, "Schedule name")->required();
    cmd->callback([&g, &rc, v] {
      auto r = Call(g, "POST", Schedules(g) + "/" + UrlEscape(o->name) + "/" + v, json::object());
      if (!r) return void(rc = 1);
      PrintSchedule(g, *r);
    });
  }
  AddDeleteVerb(
      sch, g, rc, "delete", "Delete a schedule (the jobs it created stay)",
      [&g] { return Schedules(g); }, "name", "deleted", "schedule");
}

}  // namespace mlws::cli
