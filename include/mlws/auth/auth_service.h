// AuthService: who is calling (authentication) and may they (authorization).
//
// Modes: authentication is required as soon as one user exists, or when the server listens on a
// non-loopback address (then the first start creates an "admin" Owner). With no users on
// loopback the server stays open to the local user, as the embedded default promises.
//
// Credentials: "Authorization: Bearer <token>" (API tokens, stored hashed) or HTTP Basic with a
// user's password (argon2id; successful verifications are cached in memory for 5 minutes so an
// MLflow client sending Basic on every request does not pay argon2 each time).
//
// Throttling never refuses a valid credential: a valid token or password is accepted whatever
// others sent before. Failures are counted per credential tried (the user name for Basic) and per
// address; once a key has 5 failures (user name) or 50 (address) within a minute, further
// *failed* attempts get 429 instead of 401. Public routes (server/health/read) do not look at
// credentials at all (routes.cc), so failures can only happen, and are always audited, on
// routes that need them.
//
// Job tokens (CreateJobToken) carry a scope: the job's workspace and run. Such a principal may
// only perform the actions a job needs, in that workspace (JobTokenAllows), and then only what
// its user may do; it cannot mint tokens, read secrets, manage users, roles, computes or jobs.
//
// Authorization: a user's role assignments (their own and their groups') at server scope apply
// everywhere; assignments at
// workspace scope apply to "workspaces/..." actions in that workspace. An action is allowed when
// one assigned role allows it (each role's denies subtract from that role only). Actions under
// "self/" are allowed to every authenticated user; "server/health/read" is public.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mlws/auth/entities.h"
#include "mlws/auth/roles.h"
#include "mlws/common/status.h"
#include "mlws/store/metadata_store.h"

namespace mlws::auth {

struct TokenScope {
  std::int64_t workspace_id = 0;
  std::string run_id;
};

struct Principal {
  Principal() = default;
  Principal(std::int64_t id, std::string user, bool open,
            std::optional<TokenScope> token_scope = std::nullopt)
      : user_id(id), name(std::move(user)), open_mode(open), scope(std::move(token_scope)) {}

  std::int64_t user_id = 0;  // 0 for the open-mode local user
  std::string name = "local";
  bool open_mode = false;
  std::optional<TokenScope> scope;  // set when signed in with a job's token
};

// The actions a job's token may perform (in its own workspace only).
bool JobTokenAllows(std::string_view action);
// "job:<workspace id>:<run id>" and back; nullopt for "" or a malformed scope.
std::string JobScopeString(const TokenScope& scope);
std::optional<TokenScope> ParseJobScope(const std::string& scope);

struct NewToken {
  TokenInfo info;
  std::string secret;  // shown once, never stored
};

class AuthService {
 public:
  explicit AuthService(store::MetadataStore& store) : store_(store) {}

  // Decides the mode at start. When `loopback_only` is false and no user exists, creates the
  // "admin" Owner with `admin_password` (or a random one, returned so it can be printed once).
  StatusOr<std::optional<std::string>> Init(bool loopback_only,
                                            const std::optional<std::string>& admin_password);
  bool auth_required() const;

  // `authorization` is the raw header value, if any.
  StatusOr<Principal> Authenticate(const std::optional<std::string>& authorization,
                                   const std::string& remote_addr);
  // `workspace_id` is the workspace the request addresses, if any.
  Status Authorize(const Principal& who, std::string_view action,
                   std::optional<std::int64_t> workspace_id);

  StatusOr<User> CreateUser(const std::string& name, const std::string& password);
  StatusOr<std::vector<User>> ListUsers();
  Status DeleteUser(const std::string& name);
  StatusOr<NewToken> CreateToken(const Principal& who, const std::string& name,
                                 std::optional<std::int64_t> expires_in_days);
  // A token for one job run by `owner`: scoped (see above), expiring after `expires_in_days`.
  StatusOr<NewToken> CreateJobToken(const Principal& owner, const std::string& name,
                                    const TokenScope& scope, std::int64_t expires_in_days);
  // Drops every cache entry that refers to workspace `workspace_id` (call after deleting it).
  void ForgetWorkspace(std::int64_t workspace_id);
  StatusOr<std::vector<TokenInfo>> ListTokens(const Principal& who);
  Status RevokeToken(const Principal& who, std::int64_t id, bool may_revoke_any);
  // To a user or a group (exactly one of `user` / `group` is non-empty).
  StatusOr<RoleAssignment> Assign(const std::string& user, const std::string& group,
                                  const std::string& role,
                                  std::optional<std::int64_t> workspace_id);
  StatusOr<std::vector<RoleAssignment>> ListAssignments();
  Status Unassign(std::int64_t id);

  // Built-in and custom roles.
  StatusOr<std::vector<Role>> ListRoles();
  Status CreateRole(const Role& role);
  Status DeleteRole(const std::string& name);

  StatusOr<Group> CreateGroup(const std::string& name);
  StatusOr<std::vector<Group>> ListGroups();
  Status DeleteGroup(const std::string& name);
  Status SetMembership(const std::string& group, const std::string& user, bool member);

  void Audit(const AuditEntry& entry) { store_.auth().AppendAudit(entry); }
  StatusOr<std::vector<AuditEntry>> ListAudit(const AuditQuery& q) {
    return store_.auth().ListAudit(q);
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool Throttled(const std::string& key, size_t max_failures);
  void RecordFailure(const std::string& key);
  // A failed sign-in: counted under each key; 429 when one of them is over its limit, else 401.
  Status Failed(const std::vector<std::pair<std::string, size_t>>& keys, std::string message);
  StatusOr<std::vector<RoleAssignment>> AssignmentsOf(std::int64_t user_id);
  StatusOr<std::optional<Role>> FindRole(const std::string& name);
  // A snapshot of the custom roles (loaded once, reloaded after any change); never null.
  StatusOr<std::shared_ptr<const std::vector<Role>>> CustomRoles();
  StatusOr<bool> RoleNamedAllows(const std::string& name, std::string_view action);
  void InvalidateCaches();

  store::MetadataStore& store_;
  mutable std::mutex mu_;
  // Several servers share one database (docs/scale-out.md): what is cached here of the
  // database's state lives at most kSharedStateTtl (2 s), so a change made through another
  // server (a first user, a removed role, a new password) holds here within that time.
  mutable bool auth_required_ = false;         // guarded by mu_
  mutable Clock::time_point users_checked_{};  // guarded by mu_
  std::map<std::int64_t, std::pair<Clock::time_point, std::vector<RoleAssignment>>>
      assignments_;                                        // guarded by mu_
  std::shared_ptr<const std::vector<Role>> custom_roles_;  // guarded by mu_
  Clock::time_point custom_roles_at_{};                    // guarded by mu_
  // Basic credentials verified lately -> when, and the password hash they were checked against.
  std::map<std::string, std::pair<Clock::time_point, std::string>> verified_basic_;  // mu_
  std::map<std::string, std::vector<Clock::time_point>> failures_;  // guarded by mu_
  std::map<std::int64_t, std::int64_t> token_touched_;              // guarded by mu_
};

}  // namespace mlws::auth
