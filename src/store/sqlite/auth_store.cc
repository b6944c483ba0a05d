// AuthStore on SQLite: users, tokens, role assignments, audit log.
#include <algorithm>
#include <optional>
#include <string>

#include "mlws/common/ids.h"
#include "store/sqlite/sql_builder.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

using auth::AuditEntry;
using auth::RoleAssignment;
using auth::TokenInfo;
using auth::User;

namespace {

constexpr const char* kUserCols = "id, name, password_hash, creation_time, disabled";

User ReadUser(Stmt& s, int first) {
  return User{s.Int(first), s.Text(first + 1), s.Text(first + 2), s.Int(first + 3),
              s.Int(first + 4) != 0};
}

constexpr const char* kTokenCols =
    "t.id, t.user_id, u.name, t.name, t.prefix, t.creation_time, t.expiry_time, "
    "t.last_used_time, t.revoked, t.scope";

TokenInfo ReadToken(Stmt& s) {
  TokenInfo t;
  t.id = s.Int(0);
  t.user_id = s.Int(1);
  t.user_name = s.Text(2);
  t.name = s.Text(3);
  t.prefix = s.Text(4);
  t.creation_time = s.Int(5);
  if (!s.IsNull(6)) t.expiry_time = s.Int(6);
  if (!s.IsNull(7)) t.last_used_time = s.Int(7);
  t.revoked = s.Int(8) != 0;
  t.scope = s.Text(9);
  return t;
}

StatusOr<User> LoadUser(Db& db, const std::string& name) {
  ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT id, name, password_hash, creation_time, disabled "
                                       "FROM users WHERE name = ?"));
  s->Bind(1, name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFound("User '" + name + "' does not exist.");
  return ReadUser(*s, 0);
}

}  // namespace

StatusOr<User> SqliteAuthStore::CreateUser(const std::string& name,
                                           const std::string& password_hash) {
  User out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * dup, db.Cached("SELECT 1 FROM users WHERE name = ?"));
    dup->Bind(1, name);
    ASSIGN_OR_RETURN(bool exists, dup->Step());
    if (exists) return AlreadyExists("User '" + name + "' already exists.");
    auto now = static_cast<std::int64_t>(NowMillis());
    ASSIGN_OR_RETURN(Stmt * ins, db.Cached("INSERT INTO users (name, password_hash, "
                                           "creation_time) VALUES (?, ?, ?)"));
    ins->Bind(1, name).Bind(2, password_hash).Bind(3, now);
    RETURN_IF_ERROR(ins->Run());
    out = User{db.LastInsertRowid(), name, password_hash, now, false};
    return Status::Ok();
  }));
  return out;
}

StatusOr<User> SqliteAuthStore::GetUser(const std::string& name) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  return LoadUser(lease.db(), name);
}

StatusOr<std::vector<User>> SqliteAuthStore::ListUsers() {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(
      Stmt s, lease.db().Prepare(std::string("SELECT ") + kUserCols + " FROM users ORDER BY name"));
  std::vector<User> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadUser(s, 0));
  }
  return out;
}

StatusOr<std::int64_t> SqliteAuthStore::CountUsers() {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT COUNT(*) FROM users"));
  ASSIGN_OR_RETURN(bool row, s->Step());
  return row ? s->Int(0) : 0;
}

Status SqliteAuthStore::DeleteUser(const std::string& name) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(User u, LoadUser(db, name));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM users WHERE id = ?"));
    s->Bind(1, u.id);
    return s->Run();
  });
}

StatusOr<TokenInfo> SqliteAuthStore::CreateToken(std::int64_t user_id, const std::string& name,
                                                 const std::string& prefix, const Sha256& secret,
                                                 std::optional<std::int64_t> expiry_time,
                                                 const std::string& scope) {
  TokenInfo out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    auto now = static_cast<std::int64_t>(NowMillis());
    ASSIGN_OR_RETURN(Stmt * ins, db.Cached("INSERT INTO tokens (user_id, name, prefix, "
                                           "secret_sha256, creation_time, expiry_time, scope) "
                                           "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    ins->Bind(1, user_id).Bind(2, name).Bind(3, prefix).BindBlob(4, secret.data(), 32).Bind(5, now);
    if (expiry_time) {
      ins->Bind(6, *expiry_time);
    } else {
      ins->BindNull(6);
    }
    ins->Bind(7, scope);
    RETURN_IF_ERROR(ins->Run());
    std::int64_t id = db.LastInsertRowid();
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT t.id, t.user_id, u.name, t.name, t.prefix, "
                                         "t.creation_time, t.expiry_time, t.last_used_time, "
                                         "t.revoked, t.scope FROM tokens t JOIN users u ON "
                                         "u.id = t.user_id WHERE t.id = ?"));
    s->Bind(1, id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return Internal("token row vanished");
    out = ReadToken(*s);
    return Status::Ok();
  }));
  return out;
}

StatusOr<std::pair<TokenInfo, User>> SqliteAuthStore::FindToken(const Sha256& secret) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(
      Stmt * s,
      lease.db().Cached("SELECT t.id, t.user_id, u.name, t.name, t.prefix, "
                        "t.creation_time, t.expiry_time, t.last_used_time, t.revoked, "
                        "t.scope, u.id, u.name, u.password_hash, u.creation_time, u.disabled "
                        "FROM tokens t JOIN users u ON u.id = t.user_id "
                        "WHERE t.secret_sha256 = ?"));
  s->BindBlob(1, secret.data(), 32);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFound("unknown token");
  return std::make_pair(ReadToken(*s), ReadUser(*s, 10));
}

StatusOr<std::vector<TokenInfo>> SqliteAuthStore::ListTokens(std::optional<std::int64_t> user_id) {
  SqlBuilder b;
  b.Add("SELECT ").Add(kTokenCols).Add(" FROM tokens t JOIN users u ON u.id = t.user_id");
  if (user_id) b.Add(" WHERE t.user_id = ").Param(*user_id);
  b.Add(" ORDER BY t.id");
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt s, lease.db().Prepare(b.sql));
  b.BindAll(s);
  std::vector<TokenInfo> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadToken(s));
  }
  return out;
}

Status SqliteAuthStore::RevokeToken(std::int64_t id, std::optional<std::int64_t> owner_user_id) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE tokens SET revoked = 1 WHERE id = ? AND "
                                         "(CAST(? AS BIGINT) IS NULL OR user_id = ?)"));
    s->Bind(1, id);
    if (owner_user_id) {
      s->Bind(2, *owner_user_id).Bind(3, *owner_user_id);
    } else {
      s->BindNull(2).BindNull(3);
    }
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) return NotFound("Token " + std::to_string(id) + " does not exist.");
    return Status::Ok();
  });
}

Status SqliteAuthStore::TouchToken(std::int64_t id, std::int64_t time) {
  writes_.SubmitAsync([id, time](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE tokens SET last_used_time = ? WHERE id = ?"));
    s->Bind(1, time).Bind(2, id);
    return s->Run();
  });
  return Status::Ok();
}

StatusOr<RoleAssignment> SqliteAuthStore::CreateRoleAssignment(
    std::optional<std::int64_t> user_id, std::optional<std::int64_t> group_id,
    const std::string& role, std::optional<std::int64_t> workspace_id) {
  if (user_id.has_value() == group_id.has_value()) {
    return InvalidArgument("A role assignment names exactly one user or one group.");
  }
  RoleAssignment out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * dup, db.Cached("SELECT 1 FROM role_assignments WHERE user_id IS NOT "
                                           "DISTINCT FROM ? AND group_id IS NOT DISTINCT FROM ? "
                                           "AND role = ? AND workspace_id IS NOT DISTINCT FROM ?"));
    dup->Bind(1, user_id).Bind(2, group_id).Bind(3, role).Bind(4, workspace_id);
    ASSIGN_OR_RETURN(bool exists, dup->Step());
    if (exists) return AlreadyExists("This role assignment already exists.");
    auto now = static_cast<std::int64_t>(NowMillis());
    ASSIGN_OR_RETURN(Stmt * ins, db.Cached("INSERT INTO role_assignments (user_id, group_id, role, "
                                           "workspace_id, creation_time) VALUES (?, ?, ?, ?, ?)"));
    ins->Bind(1, user_id).Bind(2, group_id).Bind(3, role).Bind(4, workspace_id).Bind(5, now);
    RETURN_IF_ERROR(ins->Run());
    out.id = db.LastInsertRowid();
    out.user_id = user_id.value_or(0);
    out.group_id = group_id.value_or(0);
    out.role = role;
    out.workspace_id = workspace_id;
    out.creation_time = now;
    return Status::Ok();
  }));
  return out;
}

StatusOr<std::vector<RoleAssignment>> SqliteAuthStore::ListRoleAssignments(
    std::optional<std::int64_t> user_id) {
  SqlBuilder b;
  b.Add(
      "SELECT a.id, COALESCE(a.user_id, 0), COALESCE(u.name, ''), COALESCE(a.group_id, 0), "
      "COALESCE(g.name, ''), a.role, a.workspace_id, COALESCE(w.name, ''), a.creation_time "
      "FROM role_assignments a LEFT JOIN users u ON u.id = a.user_id "
      "LEFT JOIN groups g ON g.id = a.group_id LEFT JOIN workspaces w ON w.id = a.workspace_id");
  if (user_id) {
    b.Add(" WHERE a.user_id = ").Param(*user_id);
    b.Add(" OR a.group_id IN (SELECT group_id FROM group_members WHERE user_id = ")
        .Param(*user_id)
        .Add(")");
  }
  b.Add(" ORDER BY a.id");
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt s, lease.db().Prepare(b.sql));
  b.BindAll(s);
  std::vector<RoleAssignment> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    RoleAssignment a;
    a.id = s.Int(0);
    a.user_id = s.Int(1);
    a.user_name = s.Text(2);
    a.group_id = s.Int(3);
    a.group_name = s.Text(4);
    a.role = s.Text(5);
    if (!s.IsNull(6)) a.workspace_id = s.Int(6);
    a.workspace = s.Text(7);
    a.creation_time = s.Int(8);
    out.push_back(std::move(a));
  }
  return out;
}

Status SqliteAuthStore::DeleteRoleAssignment(std::int64_t id) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM role_assignments WHERE id = ?"));
    s->Bind(1, id);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) {
      return NotFound("Role assignment " + std::to_string(id) + " does not exist.");
    }
    return Status::Ok();
  });
}

void SqliteAuthStore::AppendAudit(const AuditEntry& e) {
  {
    std::lock_guard<std::mutex> lock(audit_mu_);
    audit_pending_.push_back(e);
    if (audit_flush_queued_) return;  // the queued flush will take this record too
    audit_flush_queued_ = true;
  }
  // One task writes every record buffered until it runs: auditing each write costs a vector
  // push, not a savepoint of its own.
  writes_.SubmitAsync([this](Db& db) -> Status {
    std::vector<AuditEntry> batch;
    {
      std::lock_guard<std::mutex> lock(audit_mu_);
      batch.swap(audit_pending_);
      audit_flush_queued_ = false;
    }
    // Up to kRowsPerInsert records per statement (one round trip on PostgreSQL, where one
    // statement per record was a third of the writer's round trips under log-metric load); one
    // statement text per row count, so each is prepared once.
    constexpr std::size_t kRowsPerInsert = 16;
    for (std::size_t at = 0; at < batch.size(); at += kRowsPerInsert) {
      const std::size_t rows = std::min(kRowsPerInsert, batch.size() - at);
      std::string sql =
          "INSERT INTO audit_log (time, user_name, remote_addr, method, path, workspace, action, "
          "status) VALUES ";
      for (std::size_t r = 0; r < rows; ++r)
        sql += r == 0 ? "(?, ?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?, ?)";
      std::optional<Stmt> own;
      ASSIGN_OR_RETURN(Stmt * s, SharedStmt(db, sql, own));
      for (std::size_t r = 0; r < rows; ++r) {
        const AuditEntry& a = batch[at + r];
        const int p = static_cast<int>(r) * 8;
        s->Bind(p + 1, a.time)
            .Bind(p + 2, a.user_name)
            .Bind(p + 3, a.remote_addr)
            .Bind(p + 4, a.method)
            .Bind(p + 5, a.path)
            .Bind(p + 6, a.workspace)
            .Bind(p + 7, a.action)
            .Bind(p + 8, a.status);
      }
      RETURN_IF_ERROR(s->Run());
    }
    return Status::Ok();
  });
}

StatusOr<std::vector<AuditEntry>> SqliteAuthStore::ListAudit(const auth::AuditQuery& q) {
  SqlBuilder b;
  b.Add(
      "SELECT id, time, user_name, remote_addr, method, path, workspace, action, status FROM "
      "audit_log WHERE 1 = 1");
  if (q.user_name) b.Add(" AND user_name = ").Param(*q.user_name);
  if (q.since) b.Add(" AND time >= ").Param(*q.since);
  if (q.denied_only && *q.denied_only) b.Add(" AND status IN (401, 403)");
  b.Add(" ORDER BY id DESC LIMIT ").Param(q.limit);
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt s, lease.db().Prepare(b.sql));
  b.BindAll(s);
  std::vector<AuditEntry> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    AuditEntry e;
    e.id = s.Int(0);
    e.time = s.Int(1);
    e.user_name = s.Text(2);
    e.remote_addr = s.Text(3);
    e.method = s.Text(4);
    e.path = s.Text(5);
    e.workspace = s.Text(6);
    e.action = s.Text(7);
    e.status = static_cast<int>(s.Int(8));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace mlws::store::sqlite
