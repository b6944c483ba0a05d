#include "cli/shared_commands.h"

#include <iostream>
#include <memory>

namespace mlws::cli {

PathFn AddSharedFlag(CLI::App* noun, const std::string& collection, PathFn workspace_path) {
  auto shared = std::make_shared<bool>(false);
  noun->add_flag("--shared", *shared,
                 "A server-scope " + collection + " (server Owners; docs/shared-resources.md)");
  return [shared, collection, workspace_path] {
    return *shared ? "/api/v1/shared/" + collection : workspace_path();
  };
}

void AddGrantVerbs(CLI::App* noun, Globals& g, int& rc, const std::string& collection,
                   const std::string& what) {
  auto name = std::make_shared<std::string>();
  for (const char* verb : {"grant", "revoke"}) {
    const bool grant = verb == std::string("grant");
    auto* cmd = noun->add_subcommand(
        verb, grant ? "Let workspace -w use shared " + what + " NAME as its own"
                    : "Take shared " + what + " NAME away from workspace -w");
    cmd->add_option("name", *name, "Shared " + what)->required();
    cmd->callback([&g, &rc, name, collection, what, grant] {
      std::string path = "/api/v1/shared/" + collection + "/" + UrlEscape(*name) + "/grants/" +
                         UrlEscape(g.workspace);
      if (!Call(g, grant ? "PUT" : "DELETE", path)) return void(rc = 1);
      std::cout << (grant ? "granted shared " : "revoked shared ") << what << " " << *name
                << (grant ? " to" : " from") << " workspace " << g.workspace << "\n";
    });
  }
}

}  // namespace mlws::cli
