// SQLite TraceV3Store: one row (a JSON document) per v3 trace.
#include <fmt/format.h>

#include "store/sqlite/mlflow3_stores.h"

namespace mlws::store::sqlite {

namespace {

Status NoSuchTrace(const std::string& id) {
  return NotFound(fmt::format("Trace with ID {} is not found.", id));
}

// Cached() keys statements by the SQL text pointer: the queries are literals.
#define MLWS_SELECT_TRACE                                                                      \
  "SELECT t.trace_id, e.exp_id, t.request_time_ms, t.doc FROM traces_v3 t JOIN experiments e " \
  "ON e.rowid = t.experiment_rowid "

TraceV3Record ReadTrace(const Stmt& s) {
  TraceV3Record r;
  r.trace_id = s.Text(0);
  r.experiment_id = std::to_string(s.Int(1));
  r.request_time_ms = s.Int(2);
  r.doc = s.Text(3);
  return r;
}

StatusOr<TraceV3Record> LoadTrace(Db& db, std::int64_t ws, const std::string& id) {
  ASSIGN_OR_RETURN(Stmt * s,
                   db.Cached(MLWS_SELECT_TRACE "WHERE t.trace_id = ? AND t.workspace_id = ?"));
  s->Bind(1, id).Bind(2, ws);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NoSuchTrace(id);
  return ReadTrace(*s);
}

}  // namespace

Status SqliteTraceV3Store::PutTrace(std::int64_t ws, const TraceV3Record& t) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t exp, ExperimentRowid(db, ws, t.experiment_id));
    // A trace id belongs to one workspace: replacing is only allowed within it.
    ASSIGN_OR_RETURN(Stmt * q, db.Cached("SELECT workspace_id FROM traces_v3 WHERE trace_id = ?"));
    q->Bind(1, t.trace_id);
    ASSIGN_OR_RETURN(bool row, q->Step());
    if (row && q->Int(0) != ws) {
      return AlreadyExists(fmt::format("Trace with ID {} already exists.", t.trace_id));
    }
    q->Reset();
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("INSERT OR REPLACE INTO traces_v3 (trace_id, "
                                         "workspace_id, experiment_rowid, request_time_ms, doc) "
                                         "VALUES (?, ?, ?, ?, ?)"));
    s->Bind(1, t.trace_id).Bind(2, ws).Bind(3, exp).Bind(4, t.request_time_ms).Bind(5, t.doc);
    return s->Run();
  });
}

StatusOr<TraceV3Record> SqliteTraceV3Store::GetTrace(std::int64_t ws, const std::string& trace_id) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  return LoadTrace(lease.db(), ws, trace_id);
}

StatusOr<TraceV3Record> SqliteTraceV3Store::UpdateTrace(std::int64_t ws,
                                                        const std::string& trace_id,
                                                        const Mutator& fn) {
  TraceV3Record out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(TraceV3Record r, LoadTrace(db, ws, trace_id));
    RETURN_IF_ERROR(fn(r));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE traces_v3 SET doc = ? WHERE trace_id = ?"));
    s->Bind(1, r.doc).Bind(2, trace_id);
    RETURN_IF_ERROR(s->Run());
    out = std::move(r);
    return Status::Ok();
  }));
  return out;
}

StatusOr<std::vector<TraceV3Record>> SqliteTraceV3Store::ListTraces(
    std::int64_t ws, const std::vector<std::string>& experiment_ids) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  std::vector<TraceV3Record> out;
  for (const auto& exp_id : experiment_ids) {
    auto rowid = ExperimentRowid(lease.db(), ws, exp_id);
    if (!rowid.ok()) continue;
    ASSIGN_OR_RETURN(Stmt * s,
                     lease.db().Cached(MLWS_SELECT_TRACE "WHERE t.experiment_rowid = ? ORDER BY "
                                                         "t.request_time_ms DESC, t.trace_id"));
    s->Bind(1, *rowid);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadTrace(*s));
    }
  }
  return out;
}

StatusOr<std::int64_t> SqliteTraceV3Store::DeleteTraces(
    std::int64_t ws, const std::string& experiment_id, const std::vector<std::string>& trace_ids,
    std::optional<std::int64_t> max_timestamp_millis, std::optional<std::int64_t> max_traces) {
  std::int64_t deleted = 0;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t exp, ExperimentRowid(db, ws, experiment_id));
    if (!trace_ids.empty()) {
      for (const auto& id : trace_ids) {
        ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM traces_v3 WHERE trace_id = ? AND "
                                             "experiment_rowid = ?"));
        s->Bind(1, id).Bind(2, exp);
        RETURN_IF_ERROR(s->Run());
        deleted += db.Changes();
      }
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM traces_v3 WHERE trace_id IN (SELECT "
                                         "trace_id FROM traces_v3 WHERE experiment_rowid = ? AND "
                                         "request_time_ms <= ? ORDER BY request_time_ms LIMIT ?)"));
    s->Bind(1, exp)
        .Bind(2, max_timestamp_millis.value_or(INT64_MAX))
        .Bind(3, max_traces && *max_traces >= 0 ? *max_traces : INT64_MAX);  // no LIMIT -1 on PG
    RETURN_IF_ERROR(s->Run());
    deleted = db.Changes();
    return Status::Ok();
  }));
  return deleted;
}

}  // namespace mlws::store::sqlite
