#include "mlws/auth/roles.h"

namespace mlws::auth {

namespace {

std::vector<std::string_view> Segments(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('/', start);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

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
       {"server/users/*", "server/groups/*", "*/roleAssignments/*", "server/audit/*"}},
      {"Reader", "Read-only access.", {"*/read"}, {"server/audit/*", "*/secrets/*"}},
      {"AzureML Data Scientist",
       "Everything inside a workspace except managing compute and the workspace itself.",
       {"workspaces/*", "server/health/read", "server/workspaces/read"},
       {"workspaces/computes/write", "workspaces/computes/delete", "workspaces/write",
        "workspaces/delete", "*/roleAssignments/*"}},
      {"AzureML Compute Operator",
       "Manage compute in a workspace; read the workspace.",
       {"workspaces/computes/*", "workspaces/read", "server/health/read", "server/workspaces/read"},
       {}},
  };
  return kRoles;
}

std::optional<Role> FindBuiltinRole(std::string_view name) {
  for (const auto& r : BuiltinRoles()) {
    if (r.name == name) return r;
  }
  return std::nullopt;
}

}  // namespace mlws::auth
