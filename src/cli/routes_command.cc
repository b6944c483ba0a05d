#include "cli/routes_command.h"

#include <iostream>

#include "cli/output.h"
#include "mlws/api/routes.h"
#include "mlws/auth/roles.h"

namespace mlws::cli {

using nlohmann::json;

namespace {
// Mirrors auth::AuthService::Authorize for a single role at server scope.
bool Allowed(const auth::Role& role, const std::string& action) {
  if (action == "server/health/read" || action.rfind("self/", 0) == 0) return true;
  return auth::RoleAllows(role, action);
}
}  // namespace

void AddRoutesCommand(CLI::App& app, Globals& g) {
  static bool markdown = false;
  auto* cmd = app.add_subcommand(
      "routes", "Print every route with the action it needs and which built-in roles may call it");
  cmd->add_flag("--markdown", markdown, "Print a markdown table (as in docs/security.md)");
  cmd->callback([&g] {
    const auto& roles = auth::BuiltinRoles();
    json rows = json::array();
    for (const auto& r : api::RouteTable()) {
      json allowed = json::object();
      for (const auto& role : roles) allowed[role.name] = Allowed(role, r.action);
      bool is_public = r.action == "server/health/read";
      rows.push_back({{"method", r.method},
                      {"path", r.path},
                      {"action", r.action},
                      {"public", is_public},
                      {"allowed", allowed}});
    }
    if (markdown) {
      std::cout << "| route | action |";
      for (const auto& role : roles) std::cout << " " << role.name << " |";
      std::cout << "\n|---|---|";
      for (size_t i = 0; i < roles.size(); ++i) std::cout << "---|";
      std::cout << "\n";
      for (const auto& row : rows) {
        std::cout << "| `" << row["method"].get<std::string>() << " "
                  << row["path"].get<std::string>() << "` | `" << row["action"].get<std::string>()
                  << "` |";
        for (const auto& role : roles) std::cout << (row["allowed"][role.name] ? " ✔ |" : " – |");
        std::cout << "\n";
      }
      return;
    }
    PrintResult(g.output, json{{"routes", rows}}, rows,
                {{"METHOD", "/method"}, {"PATH", "/path"}, {"ACTION", "/action"}});
  });
}

}  // namespace mlws::cli
