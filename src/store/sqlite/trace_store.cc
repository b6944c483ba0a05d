#include <fmt/format.h>

#include "store/sqlite/sql_builder.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

using tracking::KeyValue;
using tracking::TraceInfo;

namespace {

Status NoSuchTrace(const std::string& id) {
  return NotFound("Trace with request_id '" + id + "' not found.");
}

Status UpsertKv(Db& db, const char* sql, const std::string& request_id,
                const std::vector<KeyValue>& kvs) {
  for (const auto& kv : kvs) {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached(sql));
    s->Bind(1, request_id).Bind(2, kv.key).Bind(3, kv.value);
    RETURN_IF_ERROR(s->Run());
  }
  return Status::Ok();
}

constexpr const char* kUpsertTag =
    "INSERT OR REPLACE INTO trace_tags (request_id, key, value) VALUES (?, ?, ?)";
constexpr const char* kUpsertMeta =
    "INSERT OR REPLACE INTO trace_request_metadata (request_id, key, value) VALUES (?, ?, ?)";

StatusOr<bool> TraceInWorkspace(Db& db, std::int64_t ws, const std::string& request_id) {
  ASSIGN_OR_RETURN(Stmt * s,
                   db.Cached("SELECT 1 FROM traces WHERE request_id = ? AND workspace_id = ?"));
  s->Bind(1, request_id).Bind(2, ws);
  return s->Step();
}

}  // namespace

StatusOr<TraceInfo> SqliteTraceStore::LoadTrace(Db& db, const std::string& request_id) {
  ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT t.request_id, e.exp_id, t.timestamp_ms, "
                                       "t.execution_time_ms, t.status FROM traces t JOIN "
                                       "experiments e ON e.rowid = t.experiment_rowid WHERE "
                                       "t.request_id = ?"));
  s->Bind(1, request_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NoSuchTrace(request_id);
  TraceInfo t;
  t.request_id = s->Text(0);
  t.experiment_id = std::to_string(s->Int(1));
  t.timestamp_ms = s->Int(2);
  t.execution_time_ms = s->Int(3);
  t.status =
      tracking::ParseTraceStatus(s->TextView(4)).value_or(tracking::TraceStatus::kUnspecified);
  auto load = [&](const char* sql, std::vector<KeyValue>& out) -> Status {
    ASSIGN_OR_RETURN(Stmt * q, db.Cached(sql));
    q->Bind(1, request_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool r, q->Step());
      if (!r) break;
      out.push_back(KeyValue{q->Text(0), q->Text(1)});
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(
      load("SELECT key, value FROM trace_tags WHERE request_id = ? ORDER BY key", t.tags));
  RETURN_IF_ERROR(
      load("SELECT key, value FROM trace_request_metadata WHERE request_id = ? "
           "ORDER BY key",
           t.request_metadata));
  return t;
}

StatusOr<TraceInfo> SqliteTraceStore::StartTrace(std::int64_t workspace_id, const TraceInfo& info) {
  TraceInfo out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t exp,
                     ResolveExperimentRowid(db, workspace_id, info.experiment_id));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("INSERT INTO traces (request_id, workspace_id, "
                                         "experiment_rowid, timestamp_ms, execution_time_ms, "
                                         "status) VALUES (?, ?, ?, ?, ?, ?)"));
    s->Bind(1, info.request_id)
        .Bind(2, workspace_id)
        .Bind(3, exp)
        .Bind(4, info.timestamp_ms)
        .Bind(5, info.execution_time_ms)
        .Bind(6, tracking::TraceStatusName(info.status));
    RETURN_IF_ERROR(s->Run());
    RETURN_IF_ERROR(UpsertKv(db, kUpsertTag, info.request_id, info.tags));
    RETURN_IF_ERROR(UpsertKv(db, kUpsertMeta, info.request_id, info.request_metadata));
    ASSIGN_OR_RETURN(out, LoadTrace(db, info.request_id));
    return Status::Ok();
  }));
  return out;
}

StatusOr<TraceInfo> SqliteTraceStore::EndTrace(std::int64_t workspace_id, const TraceInfo& u) {
  TraceInfo out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(bool found, TraceInWorkspace(db, workspace_id, u.request_id));
    if (!found) return NoSuchTrace(u.request_id);
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE traces SET execution_time_ms = ? - timestamp_ms, "
                                         "status = ? WHERE request_id = ?"));
    s->Bind(1, u.timestamp_ms).Bind(2, tracking::TraceStatusName(u.status)).Bind(3, u.request_id);
    RETURN_IF_ERROR(s->Run());
    RETURN_IF_ERROR(UpsertKv(db, kUpsertTag, u.request_id, u.tags));
    RETURN_IF_ERROR(UpsertKv(db, kUpsertMeta, u.request_id, u.request_metadata));
    ASSIGN_OR_RETURN(out, LoadTrace(db, u.request_id));
    return Status::Ok();
  }));
  return out;
}

StatusOr<TraceInfo> SqliteTraceStore::GetTraceInfo(std::int64_t workspace_id,
                                                   const std::string& request_id) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(bool found, TraceInWorkspace(lease.db(), workspace_id, request_id));
  if (!found) return NoSuchTrace(request_id);
  return LoadTrace(lease.db(), request_id);
}

StatusOr<std::vector<TraceInfo>> SqliteTraceStore::SearchTraces(const TraceQuery& q) {
  SqlBuilder b;
  b.Add(
       "SELECT t.request_id FROM traces t JOIN experiments e ON e.rowid = t.experiment_rowid "
       "WHERE t.workspace_id = ")
      .Param(q.workspace_id)
      .Add(" AND e.exp_id IN (");
  bool first = true;
  for (const auto& id : q.experiment_ids) {
    if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    if (!first) b.Add(", ");
    b.Param(static_cast<std::int64_t>(std::stoll(id)));
    first = false;
  }
  if (first) b.Add("NULL");  // no id can exist: match nothing (an empty IN () is SQLite-only)
  b.Add(")");
  for (const auto& c : q.filter) {
    if (c.type == tracking::EntityType::kTag || c.type == tracking::EntityType::kParam) {
      // Param clauses are request-metadata clauses (see TrackingService::SearchTraces).
      const char* table =
          c.type == tracking::EntityType::kTag ? "trace_tags" : "trace_request_metadata";
      b.Add(" AND EXISTS (SELECT 1 FROM ")
          .Add(table)
          .Add(" g WHERE g.request_id = t.request_id AND g.key = ")
          .Param(c.key)
          .Add(" AND ");
      AppendComparison(b, "g.value", c);
      b.Add(")");
    } else if (c.key == "status" || c.key == "timestamp_ms" || c.key == "execution_time_ms") {
      b.Add(" AND ");
      AppendComparison(b, "t." + c.key, c);
    } else {
      return InvalidArgument("Unsupported trace filter key '" + c.key + "'");
    }
  }
  b.Add(q.order_ascending ? " ORDER BY t.timestamp_ms ASC, t.request_id ASC"
                          : " ORDER BY t.timestamp_ms DESC, t.request_id ASC");
  b.Add(" LIMIT ").Param(q.limit + 1).Add(" OFFSET ").Param(q.offset);
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt s, lease.db().Prepare(b.sql));
  b.BindAll(s);
  std::vector<std::string> ids;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ids.push_back(s.Text(0));
  }
  std::vector<TraceInfo> out;
  for (const auto& id : ids) {
    ASSIGN_OR_RETURN(auto t, LoadTrace(lease.db(), id));
    out.push_back(std::move(t));
  }
  return out;
}

StatusOr<std::int64_t> SqliteTraceStore::DeleteTraces(const TraceDelete& r) {
  std::int64_t deleted = 0;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t exp, ResolveExperimentRowid(db, r.workspace_id, r.experiment_id));
    SqlBuilder b;
    b.Add(
         "DELETE FROM traces WHERE request_id IN (SELECT request_id FROM traces WHERE "
         "experiment_rowid = ")
        .Param(exp);
    if (!r.request_ids.empty()) {
      b.Add(" AND request_id IN (");
      for (size_t i = 0; i < r.request_ids.size(); ++i) {
        if (i > 0) b.Add(", ");
        b.Param(r.request_ids[i]);
      }
      b.Add(")");
    }
    if (r.max_timestamp_millis) b.Add(" AND timestamp_ms <= ").Param(*r.max_timestamp_millis);
    b.Add(" ORDER BY timestamp_ms ASC");
    // A negative max_traces means no limit (as SQLite reads LIMIT -1; PostgreSQL refuses it).
    if (r.max_traces && *r.max_traces >= 0) b.Add(" LIMIT ").Param(*r.max_traces);
    b.Add(")");
    ASSIGN_OR_RETURN(Stmt s, db.Prepare(b.sql));
    b.BindAll(s);
    RETURN_IF_ERROR(s.Run());
    deleted = db.Changes();
    return Status::Ok();
  }));
  return deleted;
}

Status SqliteTraceStore::SetTraceTag(std::int64_t workspace_id, const std::string& request_id,
                                     const KeyValue& tag) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(bool found, TraceInWorkspace(db, workspace_id, request_id));
    if (!found) return NoSuchTrace(request_id);
    return UpsertKv(db, kUpsertTag, request_id, {tag});
  });
}

Status SqliteTraceStore::DeleteTraceTag(std::int64_t workspace_id, const std::string& request_id,
                                        const std::string& key) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(bool found, TraceInWorkspace(db, workspace_id, request_id));
    if (!found) return NoSuchTrace(request_id);
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("DELETE FROM trace_tags WHERE request_id = ? AND key = ?"));
    s->Bind(1, request_id).Bind(2, key);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) {
      return NotFound(fmt::format("No trace tag with key '{}' for trace with request_id '{}'", key,
                                  request_id));
    }
    return Status::Ok();
  });
}

}  // namespace mlws::store::sqlite
