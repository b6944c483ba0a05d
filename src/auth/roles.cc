#include "mlws/auth/roles.h"

#include <cctype>

#include "mlws/common/strings.h"

namespace mlws::auth {

namespace {

std::vector<std::string_view> Segments(std::string_view s) { return SplitKeepEmpty(s, '/'); }

}  // namespace

bool ActionMatches(std::string_view pattern, std::string_view action) {
  auto p = Segments(pattern);
  auto a = Segments(action);
  for (size_t i = 0; i < p.size(); ++i) {
    bool last = i + 1 == p.size();
    if (p[i] == "*" && last) return a.size() >= p.size();  // trailing *: the rest, 1+ segments
    if (i >= a.size()) return false;
    if (p[i] == "*") {
      // A leading or inner "*": one segment, except "*/verb" which matches any depth.
      if (i == 0 && p.size() == 2) return a.back() == p[1];
      continue;
    }
    if (p[i] != a[i]) return false;
  }
  return p.size() == a.size();
}

bool RoleAllows(const Role& role, std::string_view action) {
  bool allowed = false;
  for (const auto& pat : role.allow) {
    if (ActionMatches(pat, action)) {
      allowed = true;
      break;
    }
  }
  if (!allowed) return false;
  for (const auto& pat : role.deny) {
    if (ActionMatches(pat, action)) return false;
  }
  return true;
}

const std::vector<Role>& BuiltinRoles() {
  static const std::vector<Role> kRoles = {
      {"Owner", "Full access, including role assignments and users.", {"*"}, {}},
      {"Contributor",
       "Full access except managing users, groups, role assignments and reading the audit log.",
       {"*"},
       {"server/users/*", "server/groups/*", "server/roles/write", "*/roleAssignments/*",
        "server/audit/*", "workspaces/quota/write", "server/sharedResources/write"}},
      {"Reader", "Read-only access.", {"*/read"}, {"server/audit/*", "*/secrets/*"}},
      {"AzureML Data Scientist",
       "Everything inside a workspace except managing compute and the workspace itself.",
       {"workspaces/*", "server/health/read", "server/workspaces/read"},
       {"workspaces/computes/write", "workspaces/computes/delete", "workspaces/write",
        "workspaces/delete", "*/roleAssignments/*", "workspaces/quota/write"}},
      {"AzureML Compute Operator",
       "Manage compute in a workspace; read the workspace.",
       {"workspaces/computes/*", "workspaces/read", "server/health/read", "server/workspaces/read"},
       {}},
      // Registries (docs/registries.md): assigned at a registry's scope.
      {"AzureML Registry User",
       "Read a registry and use its assets (models, data, environments, components) from any "
       "workspace.",
       {"registries/read", "registries/*/read", "server/health/read"},
       {}},
      // Self-serve: creates workspaces and becomes Owner (at workspace scope) of each it creates.
      {"Workspace Creator",
       "Create workspaces (becoming their Owner); list workspaces.",
       {"server/workspaces/create/write", "server/workspaces/read", "server/health/read"},
       {}},
  };
  return kRoles;
}

Status ValidateCustomRole(const Role& role) {
  bool name_ok = !role.name.empty() && role.name.size() <= 64;
  for (char c : role.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ' ' && c != '-' && c != '_') {
      name_ok = false;
    }
  }
  if (!name_ok) {
    return InvalidArgument("Invalid role name '" + role.name.substr(0, 80) +
                           "': use 1 to 64 letters, digits, spaces, '-' or '_'.");
  }
  if (FindBuiltinRole(role.name)) {
    return InvalidArgument("'" + role.name + "' is a built-in role; choose another name.");
  }
  if (role.allow.empty()) return InvalidArgument("A role needs at least one 'allow' pattern.");
  if (role.allow.size() > 100 || role.deny.size() > 100) {
    return InvalidArgument("A role has at most 100 allow and 100 deny patterns.");
  }
  if (role.description.size() > 1000) return InvalidArgument("Role descriptions: 1000 at most.");
  for (const auto* list : {&role.allow, &role.deny}) {
    for (const auto& p : *list) {
      bool ok = !p.empty() && p.size() <= 200 && p.front() != '/' && p.back() != '/' &&
                p.find("//") == std::string::npos;
      for (char c : p) {
        if (!std::isalpha(static_cast<unsigned char>(c)) && c != '/' && c != '*') ok = false;
      }
      for (auto seg : Segments(p)) {
        if (seg.find('*') != std::string_view::npos && seg != "*") ok = false;
      }
      if (!ok) {
        return InvalidArgument("Invalid action pattern '" + p.substr(0, 100) +
                               "': use '/'-separated segments of letters or '*', e.g. "
                               "'workspaces/runs/*' or '*/read'.");
      }
    }
  }
  return Status::Ok();
}

std::optional<Role> FindBuiltinRole(std::string_view name) {
  for (const auto& r : BuiltinRoles()) {
    if (r.name == name) return r;
  }
  return std::nullopt;
}

}  // namespace mlws::auth
