// Groups and their members (part of AuthStore).
#include "mlws/common/ids.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

using auth::Group;

namespace {

StatusOr<Group> LoadGroup(Db& db, const std::string& name) {
  ASSIGN_OR_RETURN(Stmt * s,
                   db.Cached("SELECT id, name, creation_time FROM groups WHERE name = ?"));
  s->Bind(1, name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFound("Group '" + name + "' does not exist.");
  Group g{s->Int(0), s->Text(1), s->Int(2), {}};
  ASSIGN_OR_RETURN(Stmt * m, db.Cached("SELECT u.name FROM group_members gm JOIN users u ON "
                                       "u.id = gm.user_id WHERE gm.group_id = ? ORDER BY u.name"));
  m->Bind(1, g.id);
  for (;;) {
    ASSIGN_OR_RETURN(bool r, m->Step());
    if (!r) break;
    g.members.push_back(m->Text(0));
  }
  return g;
}

}  // namespace

StatusOr<Group> SqliteAuthStore::CreateGroup(const std::string& name) {
  Group out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * dup, db.Cached("SELECT 1 FROM groups WHERE name = ?"));
    dup->Bind(1, name);
    ASSIGN_OR_RETURN(bool exists, dup->Step());
    if (exists) return AlreadyExists("Group '" + name + "' already exists.");
    auto now = static_cast<std::int64_t>(NowMillis());
    ASSIGN_OR_RETURN(Stmt * ins,
                     db.Cached("INSERT INTO groups (name, creation_time) VALUES (?, ?)"));
    ins->Bind(1, name).Bind(2, now);
    RETURN_IF_ERROR(ins->Run());
    out = Group{db.LastInsertRowid(), name, now, {}};
    return Status::Ok();
  }));
  return out;
}

StatusOr<Group> SqliteAuthStore::GetGroup(const std::string& name) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  return LoadGroup(lease.db(), name);
}

StatusOr<std::vector<Group>> SqliteAuthStore::ListGroups() {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  std::vector<std::string> names;
  {
    ASSIGN_OR_RETURN(Stmt s, lease.db().Prepare("SELECT name FROM groups ORDER BY name"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      names.push_back(s.Text(0));
    }
  }
  std::vector<Group> out;
  for (const auto& n : names) {
    ASSIGN_OR_RETURN(Group g, LoadGroup(lease.db(), n));
    out.push_back(std::move(g));
  }
  return out;
}

Status SqliteAuthStore::DeleteGroup(const std::string& name) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Group g, LoadGroup(db, name));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM groups WHERE id = ?"));
    s->Bind(1, g.id);
    return s->Run();
  });
}

Status SqliteAuthStore::AddGroupMember(std::int64_t group_id, std::int64_t user_id) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("INSERT OR IGNORE INTO group_members (group_id, user_id) "
                                         "VALUES (?, ?)"));
    s->Bind(1, group_id).Bind(2, user_id);
    return s->Run();
  });
}

Status SqliteAuthStore::RemoveGroupMember(std::int64_t group_id, std::int64_t user_id) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("DELETE FROM group_members WHERE group_id = ? AND user_id = ?"));
    s->Bind(1, group_id).Bind(2, user_id);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) return NotFound("The user is not a member of this group.");
    return Status::Ok();
  });
}

}  // namespace mlws::store::sqlite
