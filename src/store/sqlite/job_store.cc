// JobStore on SQLite: jobs and computes (migration 8).
#include <fmt/format.h>

#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

namespace {

constexpr const char* kJobColumns =
    "workspace_id, name, display_name, description, experiment_id, experiment_name, run_id, "
    "compute, command, spec_json, owner, owner_id, priority, instance_count, timeout_s, "
    "price_per_node_hour, status, created_at, started_at, ended_at, exit_code, error, archived, "
    "cancel_requested, job_dir, supervisor_pid, supervisor_start, process_pid, token_id, "
    "detail_json";

jobs::Job ReadJob(const Stmt& s) {
  jobs::Job j;
  int c = 0;
  j.workspace_id = s.Int(c++);
  j.name = s.Text(c++);
  j.display_name = s.Text(c++);
  j.description = s.Text(c++);
  j.experiment_id = s.Text(c++);
  j.experiment_name = s.Text(c++);
  j.run_id = s.Text(c++);
  j.compute = s.Text(c++);
  j.command = s.Text(c++);
  j.spec_json = s.Text(c++);
  j.owner = s.Text(c++);
  j.owner_id = s.Int(c++);
  j.priority = static_cast<int>(s.Int(c++));
  j.instance_count = static_cast<int>(s.Int(c++));
  j.timeout_s = s.Int(c++);
  j.price_per_node_hour = s.Double(c++);
  j.status = jobs::ParseJobStatus(s.TextView(c++)).value_or(jobs::JobStatus::kFailed);
  j.created_at = s.Int(c++);
  j.started_at = s.Int(c++);
  j.ended_at = s.Int(c++);
  if (!s.IsNull(c)) j.exit_code = static_cast<int>(s.Int(c));
  ++c;
  j.error = s.Text(c++);
  j.archived = s.Int(c++) != 0;
  j.cancel_requested = s.Int(c++) != 0;
  j.job_dir = s.Text(c++);
  j.supervisor_pid = s.Int(c++);
  j.supervisor_start = s.Int(c++);
  j.process_pid = s.Int(c++);
  j.token_id = s.Int(c++);
  j.detail_json = s.Text(c++);
  return j;
}

const char* RunStatusText(tracking::RunStatus s) {
  switch (s) {
    case tracking::RunStatus::kRunning: return "RUNNING";
    case tracking::RunStatus::kScheduled: return "SCHEDULED";
    case tracking::RunStatus::kFinished: return "FINISHED";
    case tracking::RunStatus::kFailed: return "FAILED";
    case tracking::RunStatus::kKilled: return "KILLED";
  }
  return "FAILED";
}

Status WriteRunStatus(Db& db, const jobs::Job& j) {
  ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE runs SET status = ?, end_time = ? WHERE "
                                       "run_uuid = ? AND workspace_id = ?"));
  s->Bind(1, RunStatusText(jobs::RunStatusOf(j.status)));
  if (jobs::IsTerminal(j.status)) {
    s->Bind(2, j.ended_at);
  } else {
    s->BindNull(2);
  }
  s->Bind(3, j.run_id).Bind(4, j.workspace_id);
  return s->Run();
}

jobs::Compute ReadCompute(const Stmt& s) {
  jobs::Compute c;
  c.workspace_id = s.Int(0);
  c.name = s.Text(1);
  c.type = s.Text(2);
  c.size = s.Text(3);
  c.description = s.Text(4);
  c.min_instances = static_cast<int>(s.Int(5));
  c.max_instances = static_cast<int>(s.Int(6));
  c.idle_time_before_scale_down = s.Int(7);
  c.price_per_node_hour = s.Double(8);
  c.spec_json = s.Text(9);
  c.created_at = s.Int(10);
  return c;
}

constexpr const char* kComputeColumns =
    "workspace_id, name, type, size, description, min_instances, max_instances, "
    "idle_time_before_scale_down, price_per_node_hour, spec_json, created_at";

}  // namespace

Status SqliteJobStore::CreateJob(const jobs::Job& j) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(
        Stmt * s,
        db.Cached("INSERT INTO jobs (workspace_id, name, display_name, description, "
                  "experiment_id, experiment_name, run_id, compute, command, spec_json, owner, "
                  "owner_id, priority, instance_count, timeout_s, price_per_node_hour, status, "
                  "created_at, started_at, ended_at, exit_code, error, archived, "
                  "cancel_requested, job_dir, supervisor_pid, supervisor_start, process_pid, "
                  "token_id, detail_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                  "?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, 0, 0, 0, 0, ?)"));
    s->Bind(1, j.workspace_id)
        .Bind(2, j.name)
        .Bind(3, j.display_name)
        .Bind(4, j.description)
        .Bind(5, j.experiment_id)
        .Bind(6, j.experiment_name)
        .Bind(7, j.run_id)
        .Bind(8, j.compute)
        .Bind(9, j.command)
        .Bind(10, j.spec_json)
        .Bind(11, j.owner)
        .Bind(12, j.owner_id)
        .Bind(13, j.priority)
        .Bind(14, j.instance_count)
        .Bind(15, j.timeout_s)
        .Bind(16, j.price_per_node_hour)
        .Bind(17, jobs::JobStatusName(j.status))
        .Bind(18, j.created_at)
        .Bind(19, j.started_at)
        .Bind(20, j.ended_at)
        .Bind(21, j.error)
        .Bind(22, j.archived ? 1 : 0)
        .Bind(23, j.cancel_requested ? 1 : 0)
        .Bind(24, j.job_dir)
        .Bind(25, j.detail_json);
    Status st = s->Run();
    if (st.code() == ErrorCode::kResourceAlreadyExists) {
      return AlreadyExists("A job named '" + j.name + "' already exists in this workspace.");
    }
    RETURN_IF_ERROR(st);
    // Several servers: the job is leased to the server creating it, in the same transaction.
    if (!jobs::IsTerminal(j.status))
      RETURN_IF_ERROR(leases_.LeaseNewJob(db, j.workspace_id, j.name));
    return WriteRunStatus(db, j);
  });
}

StatusOr<jobs::Job> SqliteJobStore::GetJob(std::int64_t workspace_id, const std::string& name) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  static const std::string sql =
      fmt::format("SELECT {} FROM jobs WHERE workspace_id = ? AND name = ?", kJobColumns);
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(sql.c_str()));
  s->Bind(1, workspace_id).Bind(2, name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFound("Job '" + name + "' does not exist in this workspace.");
  return ReadJob(*s);
}

StatusOr<std::vector<jobs::Job>> SqliteJobStore::ListJobs(std::int64_t workspace_id,
                                                          bool include_archived) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  static const std::string sql = fmt::format(
      "SELECT {} FROM jobs WHERE workspace_id = ? AND (archived = 0 OR ? = 1) ORDER BY rowid DESC",
      kJobColumns);
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(sql.c_str()));
  s->Bind(1, workspace_id).Bind(2, include_archived ? 1 : 0);
  std::vector<jobs::Job> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ReadJob(*s));
  }
  return out;
}

StatusOr<std::vector<jobs::Job>> SqliteJobStore::ListActiveJobs() {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  static const std::string sql = fmt::format(
      "SELECT {} FROM jobs WHERE status IN ('Queued', 'Running') ORDER BY rowid", kJobColumns);
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(sql.c_str()));
  std::vector<jobs::Job> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ReadJob(*s));
  }
  return out;
}

Status SqliteJobStore::UpdateJobs(const std::vector<jobs::Job>& list) {
  if (list.empty()) return Status::Ok();
  return writes_.Submit([&](Db& db) -> Status {
    for (const auto& j : list) {
      ASSIGN_OR_RETURN(
          Stmt * s,
          db.Cached("UPDATE jobs SET status = ?, started_at = ?, ended_at = ?, exit_code = ?, "
                    "error = ?, cancel_requested = ?, job_dir = ?, supervisor_pid = ?, "
                    "supervisor_start = ?, process_pid = ?, token_id = ?, detail_json = ?, "
                    "price_per_node_hour = ? WHERE workspace_id = ? AND name = ?"));
      s->Bind(1, jobs::JobStatusName(j.status)).Bind(2, j.started_at).Bind(3, j.ended_at);
      if (j.exit_code) {
        s->Bind(4, *j.exit_code);
      } else {
        s->BindNull(4);
      }
      s->Bind(5, j.error)
          .Bind(6, j.cancel_requested ? 1 : 0)
          .Bind(7, j.job_dir)
          .Bind(8, j.supervisor_pid)
          .Bind(9, j.supervisor_start)
          .Bind(10, j.process_pid)
          .Bind(11, j.token_id)
          .Bind(12, j.detail_json)
          .Bind(13, j.price_per_node_hour)
          .Bind(14, j.workspace_id)
          .Bind(15, j.name);
      RETURN_IF_ERROR(s->Run());
      RETURN_IF_ERROR(WriteRunStatus(db, j));
    }
    return Status::Ok();
  });
}

Status SqliteJobStore::SetJobArchived(std::int64_t workspace_id, const std::string& name,
                                      bool archived) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("UPDATE jobs SET archived = ? WHERE workspace_id = ? AND name = ?"));
    s->Bind(1, archived ? 1 : 0).Bind(2, workspace_id).Bind(3, name);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) return NotFound("Job '" + name + "' does not exist in this workspace.");
    return Status::Ok();
  });
}

namespace {
Status WriteCompute(Db& db, const jobs::Compute& c, bool replace) {
  static const std::string insert = fmt::format(
      "INSERT INTO computes ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", kComputeColumns);
  static const std::string upsert =
      fmt::format("INSERT OR REPLACE INTO computes ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  kComputeColumns);
  ASSIGN_OR_RETURN(Stmt * s, db.Cached(replace ? upsert.c_str() : insert.c_str()));
  s->Bind(1, c.workspace_id)
      .Bind(2, c.name)
      .Bind(3, c.type)
      .Bind(4, c.size)
      .Bind(5, c.description)
      .Bind(6, c.min_instances)
      .Bind(7, c.max_instances)
      .Bind(8, c.idle_time_before_scale_down)
      .Bind(9, c.price_per_node_hour)
      .Bind(10, c.spec_json)
      .Bind(11, c.created_at);
  Status st = s->Run();
  if (st.code() == ErrorCode::kResourceAlreadyExists) {
    return AlreadyExists("A compute named '" + c.name + "' already exists in this workspace.");
  }
  return st;
}
}  // namespace

Status SqliteJobStore::CreateCompute(const jobs::Compute& c) {
  return writes_.Submit([&](Db& db) { return WriteCompute(db, c, false); });
}

Status SqliteJobStore::ReplaceCompute(const jobs::Compute& c) {
  return writes_.Submit([&](Db& db) { return WriteCompute(db, c, true); });
}

StatusOr<jobs::Compute> SqliteJobStore::GetCompute(std::int64_t workspace_id,
                                                   const std::string& name) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  static const std::string sql =
      fmt::format("SELECT {} FROM computes WHERE workspace_id = ? AND name = ?", kComputeColumns);
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(sql.c_str()));
  s->Bind(1, workspace_id).Bind(2, name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFound("Compute '" + name + "' does not exist in this workspace.");
  return ReadCompute(*s);
}

StatusOr<std::vector<jobs::Compute>> SqliteJobStore::ListComputes(std::int64_t workspace_id) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  static const std::string sql =
      fmt::format("SELECT {} FROM computes WHERE workspace_id = ? ORDER BY name", kComputeColumns);
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(sql.c_str()));
  s->Bind(1, workspace_id);
  std::vector<jobs::Compute> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ReadCompute(*s));
  }
  return out;
}

Status SqliteJobStore::DeleteCompute(std::int64_t workspace_id, const std::string& name) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("DELETE FROM computes WHERE workspace_id = ? AND name = ?"));
    s->Bind(1, workspace_id).Bind(2, name);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) {
      return NotFound("Compute '" + name + "' does not exist in this workspace.");
    }
    return Status::Ok();
  });
}

}  // namespace mlws::store::sqlite
