#include "mlws/auth/auth_service.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mlws/auth/passwords.h"
#include "mlws/common/ids.h"
#include "mlws/common/sha256.h"
#include "mlws/tracking/validation.h"

namespace mlws::auth {

namespace {

constexpr auto kBasicCacheTtl = std::chrono::minutes(5);
// How long state of the shared database is cached (several servers, docs/scale-out.md).
constexpr auto kSharedStateTtl = std::chrono::seconds(2);
constexpr auto kFailureWindow = std::chrono::minutes(1);
// Failed sign-ins tolerated per minute: few per user name (guessing one password), more per
// address (many people may sit behind one address; a script with a stale token must not lock
// them all out at once).
constexpr size_t kMaxUserFailures = 5;
constexpr size_t kMaxAddressFailures = 50;

Status Unauthenticated(std::string msg) {
  return Status(ErrorCode::kUnauthenticated, std::move(msg));
}

std::optional<std::string> Base64Decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > 4096) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  if (in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace

StatusOr<std::optional<std::string>> AuthService::Init(
    bool loopback_only, const std::optional<std::string>& admin_password) {
  ASSIGN_OR_RETURN(std::int64_t users, store_.auth().CountUsers());
  std::optional<std::string> generated;
  if (users == 0 && !loopback_only) {
    std::string password;
    if (admin_password) {
      password = *admin_password;
    } else {
      password = NewTokenSecret().substr(5, 24);
      generated = password;
    }
    ASSIGN_OR_RETURN(User admin, CreateUser("admin", password));
    (void)admin;
    users = 1;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auth_required_ = users > 0 || !loopback_only;
  return generated;
}

bool AuthService::auth_required() const {
  std::lock_guard<std::mutex> lock(mu_);
  // Another server may have created the first user: then authentication is required here too.
  if (!auth_required_ && Clock::now() - users_checked_ > kSharedStateTtl) {
    users_checked_ = Clock::now();
    auto users = store_.auth().CountUsers();
    if (users.ok() && *users > 0) auth_required_ = true;
  }
  return auth_required_;
}

bool AuthService::Throttled(const std::string& key, size_t max_failures) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  if (it == failures_.end()) return false;
  auto now = Clock::now();
  auto& v = it->second;
  std::erase_if(v, [&](const Clock::time_point& t) { return now - t > kFailureWindow; });
  return v.size() >= max_failures;
}

void AuthService::RecordFailure(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& v = failures_[key];
  v.push_back(Clock::now());
  if (v.size() > 2 * kMaxAddressFailures) v.erase(v.begin());
  if (failures_.size() > 100000) failures_.clear();  // bounded memory under a flood
}

Status AuthService::Failed(const std::vector<std::pair<std::string, size_t>>& keys,
                           std::string message) {
  bool over = false;
  for (const auto& [key, max] : keys) over = Throttled(key, max) || over;
  for (const auto& [key, max] : keys) RecordFailure(key);
  if (over) {
    return Status(ErrorCode::kRequestLimitExceeded,
                  "Too many failed sign-in attempts; try again in a minute.");
  }
  return Unauthenticated(std::move(message));
}

StatusOr<Principal> AuthService::Authenticate(const std::optional<std::string>& authorization,
                                              const std::string& remote_addr) {
  if (!authorization || authorization->empty()) {
    if (!auth_required()) return Principal{0, "local", true};
    return Unauthenticated(
        "Authentication required: send 'Authorization: Bearer <token>' or "
        "HTTP Basic credentials.");
  }
  const std::string& h = *authorization;
  // A valid credential is always accepted: the counters below only decide whether a *failed*
  // attempt gets 429 or 401.
  std::pair<std::string, size_t> addr_key{"addr:" + remote_addr, kMaxAddressFailures};
  if (h.rfind("Bearer ", 0) == 0) {
    std::string secret = h.substr(7);
    auto found = store_.auth().FindToken(Sha256Of(secret));
    if (!found.ok()) return Failed({addr_key}, "Invalid API token.");
    const auto& [token, user] = *found;
    auto now = NowMillis();
    if (token.revoked) return Failed({addr_key}, "This API token was revoked.");
    if (token.expiry_time && *token.expiry_time <= now) {
      return Failed({addr_key}, "This API token expired.");
    }
    if (user.disabled) return Failed({addr_key}, "This user is disabled.");
    std::optional<TokenScope> scope;
    if (!token.scope.empty()) {
      scope = ParseJobScope(token.scope);
      if (!scope) return Failed({addr_key}, "This API token has an unknown scope.");
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& last = token_touched_[token.id];
      if (now - last > 60000) {
        last = now;
        (void)store_.auth().TouchToken(token.id, now);
      }
    }
    return Principal{user.id, user.name, false, scope};
  }
  if (h.rfind("Basic ", 0) == 0) {
    auto decoded = Base64Decode(h.substr(6));
    if (!decoded) return Failed({addr_key}, "Malformed Basic credentials.");
    auto colon = decoded->find(':');
    if (colon == std::string::npos) return Failed({addr_key}, "Malformed Basic credentials.");
    std::string name = decoded->substr(0, colon);
    std::string password = decoded->substr(colon + 1);
    std::pair<std::string, size_t> user_key{"user:" + name, kMaxUserFailures};
    auto user = store_.auth().GetUser(name);
    std::string cache_key = name + "\n" + Sha256Hex(*decoded);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = verified_basic_.find(cache_key);
      // The hash is today's: a password changed through any server ends the cached sign-in.
      if (it != verified_basic_.end() && Clock::now() - it->second.first < kBasicCacheTtl &&
          user.ok() && !user->disabled && it->second.second == user->password_hash) {
        return Principal{user->id, user->name, false};
      }
    }
    if (!user.ok() || user->disabled || !VerifyPassword(user->password_hash, password)) {
      return Failed({user_key, addr_key}, "Invalid user name or password.");
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (verified_basic_.size() > 10000) verified_basic_.clear();
    verified_basic_[cache_key] = {Clock::now(), user->password_hash};
    return Principal{user->id, user->name, false};
  }
  return Failed({addr_key}, "Unsupported Authorization scheme: use Bearer or Basic.");
}

StatusOr<std::vector<RoleAssignment>> AuthService::AssignmentsOf(std::int64_t user_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = assignments_.find(user_id);
    if (it != assignments_.end() && Clock::now() - it->second.first < kSharedStateTtl) {
      return it->second.second;
    }
  }
  ASSIGN_OR_RETURN(auto list, store_.auth().ListRoleAssignments(user_id));
  std::lock_guard<std::mutex> lock(mu_);
  if (assignments_.size() > 100000) assignments_.clear();
  assignments_[user_id] = {Clock::now(), list};
  return list;
}

void AuthService::InvalidateCaches() {
  std::lock_guard<std::mutex> lock(mu_);
  assignments_.clear();
  verified_basic_.clear();
  custom_roles_.reset();
}

StatusOr<std::shared_ptr<const std::vector<Role>>> AuthService::CustomRoles() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (custom_roles_ && Clock::now() - custom_roles_at_ < kSharedStateTtl) return custom_roles_;
  }
  ASSIGN_OR_RETURN(auto custom, store_.auth().ListCustomRoles());
  auto snapshot = std::make_shared<const std::vector<Role>>(std::move(custom));
  std::lock_guard<std::mutex> lock(mu_);
  custom_roles_ = snapshot;
  custom_roles_at_ = Clock::now();
  return custom_roles_;
}

StatusOr<std::vector<Role>> AuthService::ListRoles() {
  ASSIGN_OR_RETURN(auto custom, CustomRoles());
  std::vector<Role> out = BuiltinRoles();
  out.insert(out.end(), custom->begin(), custom->end());
  return out;
}

StatusOr<std::optional<Role>> AuthService::FindRole(const std::string& name) {
  if (auto builtin = FindBuiltinRole(name)) return builtin;
  ASSIGN_OR_RETURN(auto custom, CustomRoles());
  for (const auto& r : *custom) {
    if (r.name == name) return std::optional<Role>(r);
  }
  return std::optional<Role>();
}

// Per request: looks roles up in place instead of copying them.
StatusOr<bool> AuthService::RoleNamedAllows(const std::string& name, std::string_view action) {
  for (const auto& r : BuiltinRoles()) {
    if (r.name == name) return RoleAllows(r, action);
  }
  ASSIGN_OR_RETURN(auto custom, CustomRoles());
  for (const auto& r : *custom) {
    if (r.name == name) return RoleAllows(r, action);
  }
  return false;  // a role deleted after its assignment was read grants nothing
}

Status AuthService::CreateRole(const Role& role) {
  RETURN_IF_ERROR(ValidateCustomRole(role));
  RETURN_IF_ERROR(store_.auth().CreateCustomRole(role));
  InvalidateCaches();
  return Status::Ok();
}

Status AuthService::DeleteRole(const std::string& name) {
  if (FindBuiltinRole(name)) return InvalidArgument("Built-in roles cannot be deleted.");
  RETURN_IF_ERROR(store_.auth().DeleteCustomRole(name));
  InvalidateCaches();
  return Status::Ok();
}

bool JobTokenAllows(std::string_view action) {
  // What a job does: tracks its run (and may create runs/experiments, register models from it),
  // reads its workspace's experiments, runs, artifacts, models, data, environments and jobs.
  static constexpr std::string_view kAllowed[] = {
      "server/health/read",
      "self/read",
      "workspaces/read",
      "workspaces/experiments/read",
      "workspaces/experiments/write",
      "workspaces/runs/read",
      "workspaces/runs/write",
      "workspaces/artifacts/read",
      "workspaces/artifacts/write",
      "workspaces/traces/read",
      "workspaces/traces/write",
      "workspaces/models/read",
      "workspaces/models/write",
      "workspaces/data/read",
      "workspaces/datastores/read",
      "workspaces/environments/read",
      "workspaces/jobs/read",
      "workspaces/components/read",
  };
  for (auto a : kAllowed) {
    if (a == action) return true;
  }
  return false;
}

std::string JobScopeString(const TokenScope& scope) {
  return "job:" + std::to_string(scope.workspace_id) + ":" + scope.run_id;
}

std::optional<TokenScope> ParseJobScope(const std::string& scope) {
  if (scope.rfind("job:", 0) != 0) return std::nullopt;
  auto colon = scope.find(':', 4);
  if (colon == std::string::npos) return std::nullopt;
  TokenScope out;
  try {
    size_t used = 0;
    out.workspace_id = std::stoll(scope.substr(4, colon - 4), &used);
    if (used != colon - 4) return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
  out.run_id = scope.substr(colon + 1);
  return out;
}

Status AuthService::Authorize(const Principal& who, std::string_view action,
                              std::optional<std::int64_t> workspace_id) {
  if (action == "server/health/read") return Status::Ok();
  if (who.scope) {
    bool in_scope =
        JobTokenAllows(action) && (action.rfind("workspaces/", 0) != 0 ||
                                   (workspace_id && *workspace_id == who.scope->workspace_id));
    if (!in_scope) {
      return Status(ErrorCode::kPermissionDenied,
                    "A job's token may not perform '" + std::string(action) +
                        "' (job tokens are limited to tracking in the job's own workspace).");
    }
  }
  if (who.open_mode) return Status::Ok();
  if (action.rfind("self/", 0) == 0) return Status::Ok();
  ASSIGN_OR_RETURN(auto assignments, AssignmentsOf(who.user_id));
  // Registry-scope assignments are made on the registry's asset workspace (registries/).
  bool workspace_action =
      action.rfind("workspaces/", 0) == 0 || action.rfind("registries/", 0) == 0;
  for (const auto& a : assignments) {
    bool applies =
        !a.workspace_id || (workspace_action && workspace_id && *a.workspace_id == *workspace_id);
    if (!applies) continue;
    ASSIGN_OR_RETURN(bool allows, RoleNamedAllows(a.role, action));
    if (allows) return Status::Ok();
  }
  return Status(ErrorCode::kPermissionDenied,
                "User '" + who.name + "' is not allowed to perform '" + std::string(action) + "'" +
                    (workspace_action ? " in this workspace" : "") + ".");
}

StatusOr<User> AuthService::CreateUser(const std::string& name, const std::string& password) {
  RETURN_IF_ERROR(tracking::ValidateWorkspaceName(name).ok()
                      ? Status::Ok()
                      : InvalidArgument("Invalid user name '" + name.substr(0, 100) +
                                        "': use 1 to 64 lowercase letters, digits, '-' or '_'."));
  RETURN_IF_ERROR(ValidatePassword(password));
  ASSIGN_OR_RETURN(std::int64_t before, store_.auth().CountUsers());
  ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  ASSIGN_OR_RETURN(User user, store_.auth().CreateUser(name, hash));
  if (before == 0) {
    // The first user administers the server; from now on every request must authenticate.
    ASSIGN_OR_RETURN(
        auto a, store_.auth().CreateRoleAssignment(user.id, std::nullopt, "Owner", std::nullopt));
    (void)a;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auth_required_ = true;
  assignments_.clear();
  return user;
}

StatusOr<std::vector<User>> AuthService::ListUsers() { return store_.auth().ListUsers(); }

Status AuthService::DeleteUser(const std::string& name) {
  // The server must keep someone who can administer it: deleting the last user who holds Owner
  // at server scope would lock everyone out (authentication stays on once a user exists).
  ASSIGN_OR_RETURN(auto all, store_.auth().ListRoleAssignments(std::nullopt));
  int owners = 0;
  bool is_owner = false;
  for (const auto& a : all) {
    if (a.role != "Owner" || a.workspace_id || a.user_id == 0) continue;
    ++owners;
    is_owner = is_owner || a.user_name == name;
  }
  if (is_owner && owners == 1) {
    return Status(ErrorCode::kResourceConflict,
                  "User '" + name +
                      "' is the last server Owner and cannot be deleted: assign Owner at server "
                      "scope to another user first.");
  }
  RETURN_IF_ERROR(store_.auth().DeleteUser(name));
  InvalidateCaches();
  return Status::Ok();
}

StatusOr<NewToken> AuthService::CreateToken(const Principal& who, const std::string& name,
                                            std::optional<std::int64_t> expires_in_days) {
  if (who.user_id == 0) {
    return InvalidArgument("Tokens belong to users: create a user first (POST /api/v1/users).");
  }
  if (name.empty() || name.size() > 100) return InvalidArgument("A token needs a name (1-100).");
  if (expires_in_days && (*expires_in_days < 1 || *expires_in_days > 3650)) {
    return InvalidArgument("expires_in_days must be between 1 and 3650.");
  }
  NewToken out;
  out.secret = NewTokenSecret();
  std::optional<std::int64_t> expiry;
  if (expires_in_days) expiry = NowMillis() + *expires_in_days * 86400000LL;
  ASSIGN_OR_RETURN(out.info, store_.auth().CreateToken(who.user_id, name, out.secret.substr(0, 12),
                                                       Sha256Of(out.secret), expiry, ""));
  return out;
}

StatusOr<NewToken> AuthService::CreateJobToken(const Principal& owner, const std::string& name,
                                               const TokenScope& scope,
                                               std::int64_t expires_in_days) {
  if (owner.user_id == 0) return InvalidArgument("Job tokens belong to users.");
  NewToken out;
  out.secret = NewTokenSecret();
  std::int64_t expiry = NowMillis() + expires_in_days * 86400000LL;
  ASSIGN_OR_RETURN(out.info, store_.auth().CreateToken(
                                 owner.user_id, name.substr(0, 100), out.secret.substr(0, 12),
                                 Sha256Of(out.secret), expiry, JobScopeString(scope)));
  return out;
}

void AuthService::ForgetWorkspace(std::int64_t workspace_id) {
  (void)workspace_id;  // assignments are cached per user: drop them all (cheap, rare)
  InvalidateCaches();
}

StatusOr<std::vector<TokenInfo>> AuthService::ListTokens(const Principal& who) {
  return store_.auth().ListTokens(who.user_id);
}

Status AuthService::RevokeToken(const Principal& who, std::int64_t id, bool may_revoke_any) {
  return store_.auth().RevokeToken(
      id, may_revoke_any ? std::nullopt : std::optional<std::int64_t>(who.user_id));
}

StatusOr<RoleAssignment> AuthService::Assign(const std::string& user, const std::string& group,
                                             const std::string& role,
                                             std::optional<std::int64_t> workspace_id) {
  ASSIGN_OR_RETURN(auto found, FindRole(role));
  if (!found) {
    ASSIGN_OR_RETURN(auto roles, ListRoles());
    std::string names;
    for (const auto& r : roles) names += (names.empty() ? "" : ", ") + r.name;
    return InvalidArgument("Unknown role '" + role + "'. Roles: " + names + ".");
  }
  if (user.empty() == group.empty()) {
    return InvalidArgument("A role assignment names exactly one of 'user' and 'group'.");
  }
  RoleAssignment a;
  if (!user.empty()) {
    ASSIGN_OR_RETURN(User u, store_.auth().GetUser(user));
    ASSIGN_OR_RETURN(a, store_.auth().CreateRoleAssignment(u.id, std::nullopt, role, workspace_id));
    a.user_name = u.name;
  } else {
    ASSIGN_OR_RETURN(Group g, store_.auth().GetGroup(group));
    ASSIGN_OR_RETURN(a, store_.auth().CreateRoleAssignment(std::nullopt, g.id, role, workspace_id));
    a.group_name = g.name;
  }
  InvalidateCaches();
  return a;
}

StatusOr<std::vector<RoleAssignment>> AuthService::ListAssignments() {
  return store_.auth().ListRoleAssignments(std::nullopt);
}

StatusOr<Group> AuthService::CreateGroup(const std::string& name) {
  if (!tracking::ValidateWorkspaceName(name).ok()) {
    return InvalidArgument("Invalid group name '" + name.substr(0, 100) +
                           "': use 1 to 64 lowercase letters, digits, '-' or '_'.");
  }
  return store_.auth().CreateGroup(name);
}

StatusOr<std::vector<Group>> AuthService::ListGroups() { return store_.auth().ListGroups(); }

Status AuthService::DeleteGroup(const std::string& name) {
  RETURN_IF_ERROR(store_.auth().DeleteGroup(name));
  InvalidateCaches();
  return Status::Ok();
}

Status AuthService::SetMembership(const std::string& group, const std::string& user, bool member) {
  ASSIGN_OR_RETURN(Group g, store_.auth().GetGroup(group));
  ASSIGN_OR_RETURN(User u, store_.auth().GetUser(user));
  RETURN_IF_ERROR(member ? store_.auth().AddGroupMember(g.id, u.id)
                         : store_.auth().RemoveGroupMember(g.id, u.id));
  InvalidateCaches();
  return Status::Ok();
}

Status AuthService::Unassign(std::int64_t id) {
  RETURN_IF_ERROR(store_.auth().DeleteRoleAssignment(id));
  InvalidateCaches();
  return Status::Ok();
}

}  // namespace mlws::auth
