// Roles: named sets of allowed and denied actions. An action is "<scope>/<resource>/<verb>",
// e.g. "workspaces/runs/write" or "server/workspaces/write". Patterns may use "*" for one or more
// whole segments at the end ("workspaces/*") or for one segment ("*/read" matches any action whose
// last segment is "read"). A role allows an action when some allow pattern matches and no deny
// pattern does. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::auth {

struct Role {
  std::string name;
  std::string description;
  std::vector<std::string> allow;
  std::vector<std::string> deny;
};

bool ActionMatches(std::string_view pattern, std::string_view action);
bool RoleAllows(const Role& role, std::string_view action);

// The built-in roles, named as Azure ML's: Owner, Contributor, Reader, AzureML Data Scientist,
// AzureML Compute Operator.
const std::vector<Role>& BuiltinRoles();
// A custom role: name of 1-64 letters, digits, spaces, '-' or '_', not a built-in name; at least
// one allow pattern; every pattern '/'-separated segments of letters or '*'; at most 100 each.
Status ValidateCustomRole(const Role& role);
std::optional<Role> FindBuiltinRole(std::string_view name);

}  // namespace mlws::auth
