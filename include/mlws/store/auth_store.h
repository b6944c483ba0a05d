// AuthStore: persistence of users, tokens, role assignments and the audit log.
// Thread-safe; writes durable on return, except AppendAudit (see below).
// Errors: NotFound, AlreadyExists, Internal.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "mlws/auth/entities.h"
#include "mlws/auth/roles.h"
#include "mlws/common/status.h"

namespace mlws::store {

using Sha256 = std::array<unsigned char, 32>;

class AuthStore {
 public:
  virtual ~AuthStore() = default;
  virtual StatusOr<auth::User> CreateUser(const std::string& name,
                                          const std::string& password_hash) = 0;
  virtual StatusOr<auth::User> GetUser(const std::string& name) = 0;
  virtual StatusOr<std::vector<auth::User>> ListUsers() = 0;
  virtual StatusOr<std::int64_t> CountUsers() = 0;
  virtual Status DeleteUser(const std::string& name) = 0;

  virtual StatusOr<auth::TokenInfo> CreateToken(std::int64_t user_id, const std::string& name,
                                                const std::string& prefix, const Sha256& secret,
                                                std::optional<std::int64_t> expiry_time,
                                                const std::string& scope) = 0;
  // The token with this secret hash (revoked or not), with its user; NotFound if none.
  virtual StatusOr<std::pair<auth::TokenInfo, auth::User>> FindToken(const Sha256& secret) = 0;
  // All tokens, or those of one user when user_id is set. Never returns secrets.
  virtual StatusOr<std::vector<auth::TokenInfo>> ListTokens(
      std::optional<std::int64_t> user_id) = 0;
  virtual Status RevokeToken(std::int64_t id, std::optional<std::int64_t> owner_user_id) = 0;
  virtual Status TouchToken(std::int64_t id, std::int64_t time) = 0;

  virtual StatusOr<auth::Group> CreateGroup(const std::string& name) = 0;
  virtual StatusOr<auth::Group> GetGroup(const std::string& name) = 0;
  virtual StatusOr<std::vector<auth::Group>> ListGroups() = 0;
  virtual Status DeleteGroup(const std::string& name) = 0;
  virtual Status AddGroupMember(std::int64_t group_id, std::int64_t user_id) = 0;
  virtual Status RemoveGroupMember(std::int64_t group_id, std::int64_t user_id) = 0;

  // Custom roles; patterns are validated by the service.
  virtual Status CreateCustomRole(const auth::Role& role) = 0;
  virtual StatusOr<std::vector<auth::Role>> ListCustomRoles() = 0;
  // Fails with ResourceConflict while the role is assigned.
  virtual Status DeleteCustomRole(const std::string& name) = 0;

  // Exactly one of user_id / group_id is set.
  virtual StatusOr<auth::RoleAssignment> CreateRoleAssignment(
      std::optional<std::int64_t> user_id, std::optional<std::int64_t> group_id,
      const std::string& role, std::optional<std::int64_t> workspace_id) = 0;
  // All assignments, or those that apply to one user: direct ones and those of their groups.
  virtual StatusOr<std::vector<auth::RoleAssignment>> ListRoleAssignments(
      std::optional<std::int64_t> user_id) = 0;
  virtual Status DeleteRoleAssignment(std::int64_t id) = 0;

  // Queued behind the current group commit without waiting for it: an audit record reaches disk
  // within one commit interval (milliseconds) of the request it records.
  virtual void AppendAudit(const auth::AuditEntry& entry) = 0;
  virtual StatusOr<std::vector<auth::AuditEntry>> ListAudit(const auth::AuditQuery& query) = 0;
};

}  // namespace mlws::store
