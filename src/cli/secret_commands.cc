#include "cli/secret_commands.h"

#include <iostream>
#include <iterator>
#include <memory>

#include "cli/output.h"
#include "cli/shared_commands.h"
#include "cli/verbs.h"

namespace mlws::cli {

using nlohmann::json;

void AddSecretCommands(CLI::App& app, Globals& g, int& rc) {
  static auto name = std::make_unique<std::string>();
  auto* secret = app.add_subcommand("secret", "The workspace's secrets vault");
  secret->require_subcommand(1);
  secret->add_option("-w,--workspace", g.workspace, "Workspace")->capture_default_str();
  PathFn base = AddSharedFlag(secret, "secrets", [&g] {
    return "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/secrets";
  });

  auto* set = secret->add_subcommand("set",
                                     "Create or replace a secret; the value is read from "
                                     "stdin (never from the command line)");
  set->add_option("name", *name, "Secret name")->required();
  set->callback([&, base] {
    std::string value((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (!value.empty() && value.back() == '\n') value.pop_back();
    if (!Call(g, "PUT", base() + "/" + UrlEscape(*name), {{"value", value}})) return void(rc = 1);
    std::cout << "stored secret " << *name << " in workspace " << g.workspace << "\n";
  });
  AddListVerb(secret, g, rc, "List secret names (never values)", base, "secrets",
              {{"NAME", "/name"}, {"CREATED", "/creation_time"}, {"UPDATED", "/update_time"}});
  auto* show = secret->add_subcommand("show", "Print a secret's value (needs secrets/read)");
  show->add_option("name", *name, "Secret name")->required();
  show->callback([&, base] {
    auto r = Call(g, "GET", base() + "/" + UrlEscape(*name));
    if (!r) return void(rc = 1);
    std::cout << (*r)["value"].get<std::string>() << "\n";
  });
  AddDeleteVerb(secret, g, rc, "delete", "Delete a secret", base, "name", "deleted", "secret");
}

}  // namespace mlws::cli
