// Run reads: one run with its data, metric history.
#include <algorithm>
#include <cmath>

#include "store/sqlite/metric_codec.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

using tracking::KeyValue;
using tracking::LifecycleStage;
using tracking::Metric;
using tracking::Run;
using tracking::RunInfo;

StatusOr<RunInfo> SqliteRunStore::LoadRunInfo(Db& db, std::int64_t rowid) {
  ASSIGN_OR_RETURN(Stmt * s,
                   db.Cached("SELECT r.rowid, r.run_uuid, r.name, e.exp_id, r.user_id, r.status, "
                             "r.start_time, r.end_time, r.artifact_uri, r.lifecycle_stage "
                             "FROM runs r JOIN experiments e ON e.rowid = r.experiment_rowid "
                             "WHERE r.rowid = ?"));
  s->Bind(1, rowid);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFound("run not found");
  RunInfo info;
  info.rowid = s->Int(0);
  info.run_id = s->Text(1);
  info.run_name = s->Text(2);
  info.experiment_id = std::to_string(s->Int(3));
  info.user_id = s->Text(4);
  info.status = tracking::ParseRunStatus(s->TextView(5)).value_or(tracking::RunStatus::kRunning);
  info.start_time = s->Int(6);
  if (!s->IsNull(7)) info.end_time = s->Int(7);
  info.artifact_uri = s->Text(8);
  info.lifecycle_stage =
      s->TextView(9) == "deleted" ? LifecycleStage::kDeleted : LifecycleStage::kActive;
  return info;
}

StatusOr<Run> SqliteRunStore::LoadRun(Db& db, std::int64_t rowid) {
  Run run;
  ASSIGN_OR_RETURN(run.info, LoadRunInfo(db, rowid));
  {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT k.key, m.value, m.is_nan, m.timestamp, m.step "
                                         "FROM latest_metrics m JOIN metric_keys k ON k.id = "
                                         "m.key_id WHERE m.run_rowid = ? ORDER BY k.key"));
    s->Bind(1, rowid);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      Metric m;
      m.key = s->Text(0);
      m.value = s->Int(2) != 0 ? std::nan("") : s->Double(1);
      m.timestamp = s->Int(3);
      m.step = s->Int(4);
      run.metrics.push_back(std::move(m));
    }
  }
  auto load_kv = [&](const char* sql, std::vector<KeyValue>& out) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached(sql));
    s->Bind(1, rowid);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(KeyValue{s->Text(0), s->Text(1)});
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(
      load_kv("SELECT key, value FROM params WHERE run_rowid = ? ORDER BY key", run.params));
  RETURN_IF_ERROR(
      load_kv("SELECT key, value FROM tags WHERE run_rowid = ? ORDER BY key", run.tags));
  {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT i.rowid, d.name, d.digest, d.source_type, "
                                         "d.source, d.schema, d.profile FROM run_inputs i JOIN "
                                         "datasets d ON d.rowid = i.dataset_rowid WHERE "
                                         "i.run_rowid = ? ORDER BY i.rowid"));
    s->Bind(1, rowid);
    std::vector<std::int64_t> input_rowids;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      tracking::DatasetInput in;
      input_rowids.push_back(s->Int(0));
      in.dataset = {s->Text(1), s->Text(2), s->Text(3), s->Text(4), s->Text(5), s->Text(6)};
      run.inputs.push_back(std::move(in));
    }
    for (size_t i = 0; i < input_rowids.size(); ++i) {
      ASSIGN_OR_RETURN(Stmt * t, db.Cached("SELECT key, value FROM input_tags WHERE "
                                           "input_rowid = ? ORDER BY key"));
      t->Bind(1, input_rowids[i]);
      for (;;) {
        ASSIGN_OR_RETURN(bool row, t->Step());
        if (!row) break;
        run.inputs[i].tags.push_back(KeyValue{t->Text(0), t->Text(1)});
      }
    }
  }
  return run;
}

StatusOr<Run> SqliteRunStore::GetRun(std::int64_t workspace_id, const std::string& run_id) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(RunRef ref, ResolveRun(lease.db(), workspace_id, run_id, false));
  return LoadRun(lease.db(), ref.rowid);
}

StatusOr<std::vector<tracking::MetricPoint>> SqliteRunStore::GetMetricHistory(
    const MetricHistoryQuery& q) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  Db& db = lease.db();
  ASSIGN_OR_RETURN(RunRef ref, ResolveRun(db, q.workspace_id, q.run_id, false));
  ASSIGN_OR_RETURN(Stmt * k, db.Cached("SELECT id FROM metric_keys WHERE key = ?"));
  k->Bind(1, q.key);
  ASSIGN_OR_RETURN(bool known, k->Step());
  std::vector<tracking::MetricPoint> out;
  if (!known) return out;
  std::int64_t key_id = k->Int(0);
  // The key's own chunks and the run's multi-key chunks, in one statement (one snapshot: the
  // writer may fold multi-key chunks into own chunks meanwhile, metric_compaction.h). The
  // multi-key chunks (key id 0) come first in the primary key but hold the newest points.
  ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT key_id, data FROM metric_chunks WHERE run_rowid = "
                                       "? AND key_id IN (?, ?) ORDER BY key_id, seq"));
  s->Bind(1, ref.rowid).Bind(2, key_id).Bind(3, kMultiKeyChunk);
  std::vector<tracking::MetricPoint> newest;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    bool ok = s->Int(0) == kMultiKeyChunk ? DecodeMultiKeyChunk(s->Blob(1), key_id, newest)
                                          : DecodeMetricChunk(s->Blob(1), out);
    if (!ok) return Internal("corrupt metric chunk for run " + q.run_id + " key " + q.key);
  }
  out.insert(out.end(), newest.begin(), newest.end());
  // MLflow's SQL store returns points ordered by (timestamp, step, value); logging order is
  // usually that order already, so check before sorting.
  if (!std::is_sorted(out.begin(), out.end(), HistoryLess)) {
    std::sort(out.begin(), out.end(), HistoryLess);
  }
  out.erase(std::unique(out.begin(), out.end(), HistorySame), out.end());
  return out;
}

}  // namespace mlws::store::sqlite
