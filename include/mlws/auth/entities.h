// Value types of identities, tokens, role assignments and the audit log.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlws::auth {

struct User {
  std::int64_t id = 0;
  std::string name;
  std::string password_hash;  // argon2id encoded string; empty = no password login
  std::int64_t creation_time = 0;
  bool disabled = false;
};

struct TokenInfo {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string user_name;
  std::string name;
  std::string prefix;  // the first characters of the secret, safe to show
  std::int64_t creation_time = 0;
  std::optional<std::int64_t> expiry_time;
  std::optional<std::int64_t> last_used_time;
  bool revoked = false;
  // "" = the user's full power; "job:<workspace id>:<run id>" = a job's token (see
  // auth_service.h: it can do only what a job needs, in its workspace).
  std::string scope;
};

struct Group {
  std::int64_t id = 0;
  std::string name;
  std::int64_t creation_time = 0;
  std::vector<std::string> members;  // user names
};

// Assigned to exactly one of a user or a group.
struct RoleAssignment {
  std::int64_t id = 0;
  std::int64_t user_id = 0;  // 0 when assigned to a group
  std::string user_name;
  std::int64_t group_id = 0;  // 0 when assigned to a user
  std::string group_name;
  std::string role;
  std::optional<std::int64_t> workspace_id;  // none = server scope
  std::string workspace;                     // name, for display
  std::int64_t creation_time = 0;
};

struct AuditEntry {
  std::int64_t id = 0;
  std::int64_t time = 0;
  std::string user_name;
  std::string remote_addr;
  std::string method;
  std::string path;
  std::string workspace;
  std::string action;
  int status = 0;
};

struct AuditQuery {
  std::optional<std::string> user_name;
  std::optional<std::int64_t> since;
  std::optional<bool> denied_only;
  std::int64_t limit = 100;
};

}  // namespace mlws::auth
