// The SQL stores of identity and secrets: users, tokens, groups, roles, audit (AuthStore) and the
// workspace vault's sealed secrets (SecretStore), over the SqliteStore's DbContext.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mlws/store/auth_store.h"
#include "mlws/store/secret_store.h"
#include "store/sqlite/db_context.h"

namespace mlws::store::sqlite {

// AuthStore over the shared context (auth_store.cc, group_store.cc, role_store.cc).
class SqliteAuthStore final : public AuthStore, private SqliteResourceStore {
 public:
  explicit SqliteAuthStore(DbContext& ctx) : SqliteResourceStore(ctx) {}

  StatusOr<auth::User> CreateUser(const std::string& name,
                                  const std::string& password_hash) override;
  StatusOr<auth::User> GetUser(const std::string& name) override;
  StatusOr<std::vector<auth::User>> ListUsers() override;
  StatusOr<std::int64_t> CountUsers() override;
  Status DeleteUser(const std::string& name) override;
  StatusOr<auth::TokenInfo> CreateToken(std::int64_t user_id, const std::string& name,
                                        const std::string& prefix, const Sha256& secret,
                                        std::optional<std::int64_t> expiry_time,
                                        const std::string& scope) override;
  StatusOr<std::pair<auth::TokenInfo, auth::User>> FindToken(const Sha256& secret) override;
  StatusOr<std::vector<auth::TokenInfo>> ListTokens(std::optional<std::int64_t> user_id) override;
  Status RevokeToken(std::int64_t id, std::optional<std::int64_t> owner_user_id) override;
  Status TouchToken(std::int64_t id, std::int64_t time) override;
  StatusOr<auth::Group> CreateGroup(const std::string& name) override;
  StatusOr<auth::Group> GetGroup(const std::string& name) override;
  StatusOr<std::vector<auth::Group>> ListGroups() override;
  Status DeleteGroup(const std::string& name) override;
  Status AddGroupMember(std::int64_t group_id, std::int64_t user_id) override;
  Status RemoveGroupMember(std::int64_t group_id, std::int64_t user_id) override;
  Status CreateCustomRole(const auth::Role& role) override;
  StatusOr<std::vector<auth::Role>> ListCustomRoles() override;
  Status DeleteCustomRole(const std::string& name) override;
  StatusOr<auth::RoleAssignment> CreateRoleAssignment(
      std::optional<std::int64_t> user_id, std::optional<std::int64_t> group_id,
      const std::string& role, std::optional<std::int64_t> workspace_id) override;
  StatusOr<std::vector<auth::RoleAssignment>> ListRoleAssignments(
      std::optional<std::int64_t> user_id) override;
  Status DeleteRoleAssignment(std::int64_t id) override;
  void AppendAudit(const auth::AuditEntry& entry) override;
  StatusOr<std::vector<auth::AuditEntry>> ListAudit(const auth::AuditQuery& query) override;

 private:
  // Audit records wait here and are written by one background task per group commit.
  std::mutex audit_mu_;
  std::vector<auth::AuditEntry> audit_pending_;  // guarded by audit_mu_
  bool audit_flush_queued_ = false;              // guarded by audit_mu_
};

// SecretStore over the shared context (secret_store.cc).
class SqliteSecretStore final : public SecretStore, private SqliteResourceStore {
 public:
  explicit SqliteSecretStore(DbContext& ctx) : SqliteResourceStore(ctx) {}

  Status PutSecret(std::int64_t workspace_id, const SealedSecret& secret) override;
  StatusOr<SealedSecret> GetSecret(std::int64_t workspace_id, const std::string& name) override;
  StatusOr<std::vector<SealedSecret>> ListSecrets(std::int64_t workspace_id) override;
  Status DeleteSecret(std::int64_t workspace_id, const std::string& name) override;
};

}  // namespace mlws::store::sqlite
