// `mlws cost show`: node-seconds × price per experiment, or cost over time (docs/quotas.md).
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "cli/output.h"
#include "cli/quota_commands.h"

namespace mlws::cli {

using nlohmann::json;

namespace {

struct CostFlags {
  std::string by, per, from, to;
  bool all_workspaces = false;
};

// One row per (period, group) with a cost or node-seconds other than 0.
json SeriesRows(const json& s) {
  json rows = json::array();
  const json& periods = s["periods"];
  for (size_t i = 0; i < periods.size(); ++i) {
    for (const auto& line : s["series"]) {
      double ns = line["node_seconds"][i].get<double>();
      if (ns == 0) continue;
      rows.push_back({{"period", periods[i]},
                      {"name", line["name"]},
                      {"key", line["key"]},
                      {"node_hours", std::stod(fmt::format("{:.6f}", ns / 3600.0))},
                      {"cost", line["cost"][i]}});
    }
  }
  return rows;
}

std::string Upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

void AddCostCommands(CLI::App& app, Globals& g, int& rc) {
  static auto flags = std::make_unique<CostFlags>();
  auto* cost = app.add_subcommand("cost", "The workspace's compute cost");
  cost->require_subcommand(1);
  cost->add_option("-w,--workspace", g.workspace, "Workspace")->capture_default_str();
  auto* show = cost->add_subcommand(
      "show",
      "Cost per experiment (node-seconds × price per node-hour); with --by/--per: over time");
  show->add_option("--by", flags->by, "Group by experiment, user, compute or workspace")
      ->check(CLI::IsMember({"experiment", "user", "compute", "workspace"}));
  show->add_option("--per", flags->per, "Periods: day, week (from Monday), month or total")
      ->check(CLI::IsMember({"day", "week", "month", "total"}));
  show->add_option("--from", flags->from, "First day, YYYY-MM-DD (UTC)");
  show->add_option("--to", flags->to, "Last day, YYYY-MM-DD (UTC; default: today)");
  show->add_flag("--all-workspaces", flags->all_workspaces,
                 "Every workspace's jobs (server-wide; needs server/cost/read)");
  show->callback([&g, &rc] {
    const CostFlags& f = *flags;
    bool series =
        !f.by.empty() || !f.per.empty() || !f.from.empty() || !f.to.empty() || f.all_workspaces;
    if (!series) {
      auto r = Call(g, "GET", "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/cost");
      if (!r) return void(rc = 1);
      PrintResult(g.output, *r, (*r)["by_experiment"],
                  {{"EXPERIMENT ID", "/experiment_id"},
                   {"EXPERIMENT", "/experiment_name"},
                   {"NODE SECONDS", "/node_seconds"},
                   {"COST", "/cost"}});
      return;
    }
    std::string by = f.by.empty() ? (f.all_workspaces ? "workspace" : "experiment") : f.by;
    std::string query = "?by=" + by + "&per=" + (f.per.empty() ? "day" : f.per);
    if (!f.from.empty()) query += "&from=" + UrlEscape(f.from);
    if (!f.to.empty()) query += "&to=" + UrlEscape(f.to);
    std::string path = f.all_workspaces
                           ? "/api/v1/cost/series"
                           : "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/cost/series";
    auto r = Call(g, "GET", path + query);
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, SeriesRows(*r),
                {{"PERIOD", "/period"},
                 {Upper(by), "/name"},
                 {"NODE HOURS", "/node_hours"},
                 {"COST", "/cost"}});
  });
}

}  // namespace mlws::cli
