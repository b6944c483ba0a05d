// Custom roles (part of AuthStore).
#include <nlohmann/json.hpp>

#include "mlws/common/ids.h"
#include "mlws/common/json.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

using nlohmann::json;

Status SqliteAuthStore::CreateCustomRole(const auth::Role& role) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * dup, db.Cached("SELECT 1 FROM custom_roles WHERE name = ?"));
    dup->Bind(1, role.name);
    ASSIGN_OR_RETURN(bool exists, dup->Step());
    if (exists) return AlreadyExists("Role '" + role.name + "' already exists.");
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("INSERT INTO custom_roles (name, description, allow_json, "
                                         "deny_json, creation_time) VALUES (?, ?, ?, ?, ?)"));
    s->Bind(1, role.name)
        .Bind(2, role.description)
        .Bind(3, DumpJson(json(role.allow)))
        .Bind(4, DumpJson(json(role.deny)))
        .Bind(5, static_cast<std::int64_t>(NowMillis()));
    return s->Run();
  });
}

StatusOr<std::vector<auth::Role>> SqliteAuthStore::ListCustomRoles() {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt s, lease.db().Prepare("SELECT name, description, allow_json, deny_json "
                                              "FROM custom_roles ORDER BY name"));
  std::vector<auth::Role> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    auth::Role r;
    r.name = s.Text(0);
    r.description = s.Text(1);
    json allow = json::parse(s.TextView(2), nullptr, false);
    json deny = json::parse(s.TextView(3), nullptr, false);
    if (!allow.is_array() || !deny.is_array()) {
      return Internal("custom role '" + r.name + "' is corrupt in the database");
    }
    for (const auto& a : allow) r.allow.push_back(a.get<std::string>());
    for (const auto& d : deny) r.deny.push_back(d.get<std::string>());
    out.push_back(std::move(r));
  }
  return out;
}

Status SqliteAuthStore::DeleteCustomRole(const std::string& name) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * used,
                     db.Cached("SELECT COUNT(*) FROM role_assignments WHERE role = ?"));
    used->Bind(1, name);
    ASSIGN_OR_RETURN(bool row, used->Step());
    if (row && used->Int(0) > 0) {
      return Status(ErrorCode::kResourceConflict,
                    "Role '" + name + "' is still assigned " + std::to_string(used->Int(0)) +
                        " time(s); delete those role assignments first.");
    }
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM custom_roles WHERE name = ?"));
    s->Bind(1, name);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) return NotFound("Role '" + name + "' does not exist.");
    return Status::Ok();
  });
}

}  // namespace mlws::store::sqlite
