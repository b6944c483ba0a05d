// Every route declares the action it needs, and the decisions of the built-in roles over the
// whole table are what the security model promises. Set MLWS_PRINT_MATRIX=1 to print the matrix
// (docs/security.md carries a copy).
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <regex>
#include <set>

#include "mlws/api/routes.h"
#include "mlws/auth/roles.h"

namespace mlws::api {
namespace {

TEST(RouteTableTest, EveryRouteDeclaresAWellFormedAction) {
  std::regex shape("^(server|workspaces|registries|self)(/[a-zA-Z]+)*/(read|write)$");
  std::set<std::string> seen;
  for (const auto& r : RouteTable()) {
    EXPECT_FALSE(r.action.empty()) << r.method << " " << r.path;
    EXPECT_TRUE(std::regex_match(r.action, shape)) << r.action << " on " << r.path;
    EXPECT_TRUE(seen.insert(r.method + " " + r.path).second) << "duplicate " << r.path;
    bool reads = r.method == "GET";
    if (reads) {
      EXPECT_TRUE(r.action.ends_with("/read")) << r.method << " " << r.path << " " << r.action;
    }
  }
  EXPECT_GT(seen.size(), 50u);
}

TEST(RouteTableTest, BuiltinRoleMatrix) {
  bool print = std::getenv("MLWS_PRINT_MATRIX") != nullptr;
  const auto& roles = auth::BuiltinRoles();
  if (print) {
    std::cout << "| route | action |";
    for (const auto& role : roles) std::cout << " " << role.name << " |";
    std::cout << "\n|---|---|";
    for (size_t i = 0; i < roles.size(); ++i) std::cout << "---|";
    std::cout << "\n";
  }
  for (const auto& r : RouteTable()) {
    const std::string& a = r.action;
    bool is_read = a.ends_with("/read");
    bool self = a.starts_with("self/");
    bool public_route = a == "server/health/read";
    for (const auto& role : roles) {
      bool allowed = self || public_route || auth::RoleAllows(role, a);
      bool expected = false;
      if (self || public_route || role.name == "Owner") {
        expected = true;
      } else if (role.name == "Contributor") {
        expected = !a.starts_with("server/users/") && !a.starts_with("server/groups/") &&
                   a != "server/roles/write" && a.find("roleAssignments") == std::string::npos &&
                   !a.starts_with("server/audit/") && a != "workspaces/quota/write" &&
                   a != "server/sharedResources/write";  // shared resources: Owners only
      } else if (role.name == "Reader") {
        expected =
            is_read && !a.starts_with("server/audit/") && a.find("/secrets/") == std::string::npos;
      } else if (role.name == "AzureML Data Scientist") {
        expected = (a.starts_with("workspaces/") && a != "workspaces/write" &&
                    // reads computes (to pick one for a job) but does not manage them
                    (a == "workspaces/computes/read" || a.find("computes") == std::string::npos) &&
                    a.find("roleAssignments") == std::string::npos &&
                    a != "workspaces/quota/write") ||  // quotas: Owners only
                   a == "server/workspaces/read";
      } else if (role.name == "AzureML Registry User") {
        expected = a.starts_with("registries/") && is_read;
      } else if (role.name == "AzureML Compute Operator") {
        expected = a.starts_with("workspaces/computes/") || a == "workspaces/read" ||
                   a == "server/workspaces/read";
      } else if (role.name == "Workspace Creator") {
        expected = a == "server/workspaces/create/write" || a == "server/workspaces/read";
      }
      EXPECT_EQ(allowed, expected) << role.name << " on " << r.method << " " << r.path;
    }
    if (print) {
      std::cout << "| `" << r.method << " " << r.path << "` | `" << a << "` |";
      for (const auto& role : roles) {
        bool allowed = self || public_route || auth::RoleAllows(role, a);
        std::cout << (allowed ? " ✔ |" : " – |");
      }
      std::cout << "\n";
    }
  }
}

}  // namespace
}  // namespace mlws::api
