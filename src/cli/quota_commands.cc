// `mlws quota show|set`: a workspace's quota (docs/quotas.md).
#include "cli/quota_commands.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "cli/output.h"
#include "cli/spec_file.h"

namespace mlws::cli {

using nlohmann::json;

namespace {

struct QuotaFlags {
  std::string file;
  std::vector<std::string> sets;
  std::vector<std::string> max_nodes;  // COMPUTE=N
  std::string max_cost, max_node_hours, on_exceed;
  bool clear = false;
};

std::string Num(const json& v) {
  if (v.is_null()) return "none";
  return fmt::format("{:g}", v.get<double>());
}

void PrintQuota(const Globals& g, const json& q) {
  if (g.output != "table") {
    PrintResult(
        g.output, q, q["computes"],
        {{"COMPUTE", "/compute"}, {"MAX NODES", "/max_nodes"}, {"IN USE", "/nodes_in_use"}});
    return;
  }
  const json& b = q["budget"];
  std::cout << "workspace: " << q["workspace"].get<std::string>() << "\n"
            << "on_exceed: " << q["on_exceed"].get<std::string>() << "\n"
            << "budget " << b["month"].get<std::string>() << ": cost " << Num(b["spent_cost"])
            << " of " << Num(b["max_cost"]) << ", node-hours " << Num(b["spent_node_hours"])
            << " of " << Num(b["max_node_hours"]) << "\n";
  if (!q["computes"].empty()) {
    PrintResult(
        "table", q, q["computes"],
        {{"COMPUTE", "/compute"}, {"MAX NODES", "/max_nodes"}, {"IN USE", "/nodes_in_use"}});
  }
}

// The quota's spec form (what PUT takes) from what GET shows.
json SpecOf(const json& shown) {
  json computes = json::object();
  for (const auto& c : shown["computes"]) {
    computes[c["compute"].get<std::string>()] = {{"max_nodes", c["max_nodes"]}};
  }
  json budget = json::object();
  for (const char* k : {"max_cost", "max_node_hours"}) {
    if (!shown["budget"][k].is_null()) budget[k] = shown["budget"][k];
  }
  return {{"on_exceed", shown["on_exceed"]}, {"computes", computes}, {"budget", budget}};
}

// A flag's number as JSON (the server validates the value; only the syntax is checked here).
std::optional<json> Number(const std::string& flag, const std::string& v) {
  try {
    size_t used = 0;
    double d = std::stod(v, &used);
    if (used == v.size()) return json(d);
  } catch (const std::exception&) {
  }
  std::cerr << "error: " << flag << " must be a number, got '" << v << "'\n";
  return std::nullopt;
}

std::optional<json> SpecFromFlags(const Globals& g, const QuotaFlags& f) {
  json spec = json::object();
  if (!f.file.empty()) {
    auto loaded = LoadSpecFile(f.file, f.sets);
    if (!loaded.ok()) {
      std::cerr << "error: " << loaded.status().message() << "\n";
      return std::nullopt;
    }
    spec = loaded->spec;
  } else if (!f.clear) {
    auto current = Call(g, "GET", "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/quota");
    if (!current) return std::nullopt;
    spec = SpecOf(*current);
  }
  for (const auto& mn : f.max_nodes) {
    size_t eq = mn.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "error: --max-nodes takes COMPUTE=N, got '" << mn << "'\n";
      return std::nullopt;
    }
    auto n = Number("--max-nodes", mn.substr(eq + 1));
    if (!n) return std::nullopt;
    if (!spec.contains("computes") || !spec["computes"].is_object())
      spec["computes"] = json::object();
    spec["computes"][mn.substr(0, eq)] = {{"max_nodes", *n}};
  }
  for (const auto& [flag, value, key] :
       {std::tuple{"--max-cost", f.max_cost, "max_cost"},
        std::tuple{"--max-node-hours", f.max_node_hours, "max_node_hours"}}) {
    if (value.empty()) continue;
    if (!spec.contains("budget") || !spec["budget"].is_object()) spec["budget"] = json::object();
    if (value == "none") {
      spec["budget"].erase(key);
      continue;
    }
    auto n = Number(flag, value);
    if (!n) return std::nullopt;
    spec["budget"][key] = *n;
  }
  if (!f.on_exceed.empty()) spec["on_exceed"] = f.on_exceed;
  return spec;
}

}  // namespace

void AddQuotaCommands(CLI::App& app, Globals& g, int& rc) {
  static auto flags = std::make_unique<QuotaFlags>();
  auto* quota = app.add_subcommand("quota", "A workspace's quota: nodes per compute, budget");
  quota->require_subcommand(1);
  quota->add_option("-w,--workspace", g.workspace, "Workspace")->capture_default_str();
  std::string base_path = "/quota";
  quota->add_subcommand("show", "The quota and what is used of it now")->callback([&g, &rc] {
    auto r = Call(g, "GET", "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/quota");
    if (!r) return void(rc = 1);
    PrintQuota(g, *r);
  });
  auto* set = quota->add_subcommand(
      "set", "Replace the quota from a YAML file, or change parts of it with flags (Owner only)");
  set->add_option("-f,--file", flags->file, "The quota spec (YAML)");
  set->add_option("--set", flags->sets, "Override a field of the file: --set on_exceed=refuse");
  set->add_option("--max-nodes", flags->max_nodes,
                  "COMPUTE=N: at most N nodes of that compute at once (repeatable)");
  set->add_option("--max-cost", flags->max_cost, "Monthly cost budget ('none' removes it)");
  set->add_option("--max-node-hours", flags->max_node_hours,
                  "Monthly node-hour budget ('none' removes it)");
  set->add_option("--on-exceed", flags->on_exceed, "wait (queue with a reason) or refuse")
      ->check(CLI::IsMember({"wait", "refuse"}));
  set->add_flag("--clear", flags->clear, "Start from no quota (with no other flag: remove it)");
  set->callback([&g, &rc] {
    auto spec = SpecFromFlags(g, *flags);
    if (!spec) return void(rc = 1);
    auto r = Call(g, "PUT", "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/quota", *spec);
    if (!r) return void(rc = 1);
    PrintQuota(g, *r);
  });
}

}  // namespace mlws::cli
