#include "cli/registry_commands.h"

#include <iostream>
#include <memory>

#include "cli/output.h"
#include "cli/spec_file.h"
#include "cli/verbs.h"

namespace mlws::cli {

using nlohmann::json;

void AddRegistryCommands(CLI::App& app, Globals& g, int& rc) {
  struct Opts {
    std::string file, name;
    std::vector<std::string> sets;
  };
  auto o = std::make_shared<Opts>();
  auto* noun = app.add_subcommand("registry",
                                  "Registries: models, data, environments and "
                                  "components shared across workspaces");
  noun->require_subcommand(1);
  static const std::vector<Column> kCols = {{"NAME", "/name"},
                                            {"LOCATION", "/location"},
                                            {"REPLICATION", "/replication_locations"},
                                            {"BUILTIN", "/builtin"},
                                            {"DESCRIPTION", "/description"}};
  PathFn base = [] { return std::string("/api/v1/registries"); };

  auto* create = noun->add_subcommand("create", "Create a registry from Azure ML's registry YAML");
  create->add_option("-f,--file", o->file, "YAML spec")->required();
  create->add_option("-n,--name", o->name, "Name (overrides the spec's)");
  create->add_option("--set", o->sets, "Override a field: key=value (dotted for nested)");
  create->callback([&g, &rc, o] {
    auto f = LoadSpecFile(o->file, o->sets);
    if (!f.ok()) {
      std::cerr << "error: " << f.status().message() << "\n";
      return void(rc = 1);
    }
    if (!o->name.empty()) f->spec["name"] = o->name;
    auto r = Call(g, "POST", "/api/v1/registries", f->spec);
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, json::array({*r}), kCols);
  });
  AddListVerb(noun, g, rc, "List the registries you may read", base, "value", kCols);
  auto* show = noun->add_subcommand("show", "Show a registry");
  show->add_option("name", o->name, "Name")->required();
  show->callback([&g, &rc, o] {
    auto r = Call(g, "GET", "/api/v1/registries/" + UrlEscape(o->name));
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, json::array({*r}), kCols);
  });
  AddDeleteVerb(noun, g, rc, "delete", "Delete a registry and every asset in it", base, "name",
                "deleted", "registry");
}

}  // namespace mlws::cli
