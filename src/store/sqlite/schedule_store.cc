// ScheduleStore on SQLite: schedules and their fires (migration 11).
#include "store/sqlite/schedule_store.h"

#include <fmt/format.h>

namespace mlws::store::sqlite {

namespace {

constexpr const char* kColumns =
    "workspace_id, name, spec_json, enabled, next_fire_ms, last_fire_ms, owner, owner_id, "
    "created_at, updated_at";

ScheduleRecord ReadSchedule(const Stmt& s) {
  ScheduleRecord r;
  r.workspace_id = s.Int(0);
  r.name = s.Text(1);
  r.spec_json = s.Text(2);
  r.enabled = s.Int(3) != 0;
  r.next_fire_ms = s.Int(4);
  r.last_fire_ms = s.Int(5);
  r.owner = s.Text(6);
  r.owner_id = s.Int(7);
  r.created_at = s.Int(8);
  r.updated_at = s.Int(9);
  return r;
}

Status NoSuch(const std::string& name) {
  return NotFound(fmt::format("Schedule '{}' not found in this workspace.", name));
}

StatusOr<std::vector<ScheduleRecord>> ReadAll(Stmt& s) {
  std::vector<ScheduleRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadSchedule(s));
  }
  return out;
}

}  // namespace

Status SqliteScheduleStore::CreateSchedule(const ScheduleRecord& r) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("INSERT INTO schedules (workspace_id, name, spec_json, "
                                         "enabled, next_fire_ms, last_fire_ms, owner, owner_id, "
                                         "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
                                         "?, ?, ?)"));
    s->Bind(1, r.workspace_id)
        .Bind(2, r.name)
        .Bind(3, r.spec_json)
        .Bind(4, r.enabled ? 1 : 0)
        .Bind(5, r.next_fire_ms)
        .Bind(6, r.last_fire_ms)
        .Bind(7, r.owner)
        .Bind(8, r.owner_id)
        .Bind(9, r.created_at)
        .Bind(10, r.updated_at);
    Status st = s->Run();
    if (st.code() == ErrorCode::kResourceAlreadyExists) {
      return AlreadyExists(
          fmt::format("A schedule named '{}' already exists in this workspace.", r.name));
    }
    return st;
  });
}

StatusOr<ScheduleRecord> SqliteScheduleStore::GetSchedule(std::int64_t ws,
                                                          const std::string& name) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  static const std::string sql =
      fmt::format("SELECT {} FROM schedules WHERE workspace_id = ? AND name = ?", kColumns);
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(sql.c_str()));
  s->Bind(1, ws).Bind(2, name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NoSuch(name);
  return ReadSchedule(*s);
}

StatusOr<std::vector<ScheduleRecord>> SqliteScheduleStore::ListSchedules(std::int64_t ws) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  static const std::string sql =
      fmt::format("SELECT {} FROM schedules WHERE workspace_id = ? ORDER BY name", kColumns);
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(sql.c_str()));
  s->Bind(1, ws);
  return ReadAll(*s);
}

Status SqliteScheduleStore::UpdateSchedule(const ScheduleRecord& r) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE schedules SET spec_json = ?, enabled = ?, "
                                         "next_fire_ms = ?, updated_at = ? WHERE workspace_id = "
                                         "? AND name = ?"));
    s->Bind(1, r.spec_json)
        .Bind(2, r.enabled ? 1 : 0)
        .Bind(3, r.next_fire_ms)
        .Bind(4, r.updated_at)
        .Bind(5, r.workspace_id)
        .Bind(6, r.name);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) return NoSuch(r.name);
    return Status::Ok();
  });
}

Status SqliteScheduleStore::DeleteSchedule(std::int64_t ws, const std::string& name) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("DELETE FROM schedules WHERE workspace_id = ? AND name = ?"));
    s->Bind(1, ws).Bind(2, name);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) return NoSuch(name);
    ASSIGN_OR_RETURN(Stmt * f, db.Cached("DELETE FROM schedule_fires WHERE workspace_id = ? AND "
                                         "schedule = ?"));
    f->Bind(1, ws).Bind(2, name);
    return f->Run();
  });
}

StatusOr<std::vector<ScheduleRecord>> SqliteScheduleStore::DueSchedules(std::int64_t now_ms) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  static const std::string sql = fmt::format(
      "SELECT {} FROM schedules WHERE enabled = 1 AND next_fire_ms > 0 AND next_fire_ms <= ? "
      "ORDER BY next_fire_ms",
      kColumns);
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(sql.c_str()));
  s->Bind(1, now_ms);
  return ReadAll(*s);
}

StatusOr<std::int64_t> SqliteScheduleStore::EarliestFire() {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT MIN(next_fire_ms) FROM schedules WHERE "
                                               "enabled = 1 AND next_fire_ms > 0"));
  ASSIGN_OR_RETURN(bool row, s->Step());
  std::int64_t v = row && !s->IsNull(0) ? s->Int(0) : 0;
  s->Reset();
  return v;
}

StatusOr<bool> SqliteScheduleStore::ClaimFire(std::int64_t ws, const std::string& name,
                                              std::int64_t due_ms, std::int64_t fired_ms,
                                              std::int64_t next_ms) {
  bool won = false;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE schedules SET next_fire_ms = ?, last_fire_ms = "
                                         "? WHERE workspace_id = ? AND name = ? AND enabled = 1 "
                                         "AND next_fire_ms = ?"));
    s->Bind(1, next_ms).Bind(2, fired_ms).Bind(3, ws).Bind(4, name).Bind(5, due_ms);
    RETURN_IF_ERROR(s->Run());
    won = db.Changes() == 1;
    return Status::Ok();
  }));
  return won;
}

Status SqliteScheduleStore::RecordFire(std::int64_t ws, const ScheduleFire& f) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("INSERT INTO schedule_fires (workspace_id, schedule, fire_ms, "
                               "job_name, error, created_at) VALUES (?, ?, ?, ?, ?, ?)"));
    s->Bind(1, ws)
        .Bind(2, f.schedule)
        .Bind(3, f.fire_ms)
        .Bind(4, f.job_name)
        .Bind(5, f.error)
        .Bind(6, f.created_at);
    return s->Run();
  });
}

StatusOr<std::vector<ScheduleFire>> SqliteScheduleStore::ListFires(std::int64_t ws,
                                                                   const std::string& name,
                                                                   int limit) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s,
                   lease.db().Cached("SELECT schedule, fire_ms, job_name, error, created_at FROM "
                                     "schedule_fires WHERE workspace_id = ? AND schedule = ? "
                                     "ORDER BY fire_ms DESC LIMIT ?"));
  s->Bind(1, ws).Bind(2, name).Bind(3, limit);
  std::vector<ScheduleFire> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back({s->Text(0), s->Int(1), s->Text(2), s->Text(3), s->Int(4)});
  }
  return out;
}

}  // namespace mlws::store::sqlite
