// LoadRuns: many runs with their data in a fixed number of queries (one per table, each over
// all the runs), whatever the page size. Over a network connection (PostgreSQL) the per-run
// queries of LoadRun would cost a round trip each: five per run, 500 for a page of 100.
#include <cmath>
#include <unordered_map>

#include "store/sqlite/sql_builder.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

using tracking::KeyValue;
using tracking::Run;

namespace {

// "(?, ?, ...)" over `ids`.
SqlBuilder& InList(SqlBuilder& b, const std::vector<std::int64_t>& ids) {
  b.Add("(");
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) b.Add(", ");
    b.Param(ids[i]);
  }
  return b.Add(")");
}

// Runs `head` + " IN (ids)" + `tail` and calls `row` for each result row.
template <typename F>
Status ForEachRow(Db& db, std::string_view head, const std::vector<std::int64_t>& ids,
                  std::string_view tail, F row) {
  SqlBuilder b;
  b.Add(head);
  InList(b, ids).Add(tail);
  ASSIGN_OR_RETURN(Stmt s, db.Prepare(b.sql));
  b.BindAll(s);
  for (;;) {
    ASSIGN_OR_RETURN(bool more, s.Step());
    if (!more) return Status::Ok();
    row(s);
  }
}

}  // namespace

StatusOr<std::vector<Run>> SqliteStore::LoadRuns(Db& db, const std::vector<std::int64_t>& rowids) {
  std::vector<Run> runs(rowids.size());
  if (rowids.empty()) return runs;
  std::unordered_map<std::int64_t, size_t> at;  // run rowid -> index in `runs`
  for (size_t i = 0; i < rowids.size(); ++i) at.emplace(rowids[i], i);
  std::vector<bool> found(rowids.size(), false);
  RETURN_IF_ERROR(ForEachRow(
      db,
      "SELECT r.rowid, r.run_uuid, r.name, e.exp_id, r.user_id, r.status, r.start_time, "
      "r.end_time, r.artifact_uri, r.lifecycle_stage FROM runs r JOIN experiments e ON e.rowid = "
      "r.experiment_rowid WHERE r.rowid IN ",
      rowids, "", [&](Stmt& s) {
        size_t i = at[s.Int(0)];
        found[i] = true;
        tracking::RunInfo& info = runs[i].info;
        info.rowid = s.Int(0);
        info.run_id = s.Text(1);
        info.run_name = s.Text(2);
        info.experiment_id = std::to_string(s.Int(3));
        info.user_id = s.Text(4);
        info.status =
            tracking::ParseRunStatus(s.TextView(5)).value_or(tracking::RunStatus::kRunning);
        info.start_time = s.Int(6);
        if (!s.IsNull(7)) info.end_time = s.Int(7);
        info.artifact_uri = s.Text(8);
        info.lifecycle_stage = s.TextView(9) == "deleted" ? tracking::LifecycleStage::kDeleted
                                                          : tracking::LifecycleStage::kActive;
      }));
  for (bool f : found) {
    if (!f) return NotFound("run not found");
  }
  RETURN_IF_ERROR(ForEachRow(
      db,
      "SELECT m.run_rowid, k.key, m.value, m.is_nan, m.timestamp, m.step FROM latest_metrics m "
      "JOIN metric_keys k ON k.id = m.key_id WHERE m.run_rowid IN ",
      rowids, " ORDER BY m.run_rowid, k.key", [&](Stmt& s) {
        tracking::Metric m;
        m.key = s.Text(1);
        m.value = s.Int(3) != 0 ? std::nan("") : s.Double(2);
        m.timestamp = s.Int(4);
        m.step = s.Int(5);
        runs[at[s.Int(0)]].metrics.push_back(std::move(m));
      }));
  RETURN_IF_ERROR(ForEachRow(db, "SELECT run_rowid, key, value FROM params WHERE run_rowid IN ",
                             rowids, " ORDER BY run_rowid, key", [&](Stmt& s) {
                               runs[at[s.Int(0)]].params.push_back(KeyValue{s.Text(1), s.Text(2)});
                             }));
  RETURN_IF_ERROR(ForEachRow(db, "SELECT run_rowid, key, value FROM tags WHERE run_rowid IN ",
                             rowids, " ORDER BY run_rowid, key", [&](Stmt& s) {
                               runs[at[s.Int(0)]].tags.push_back(KeyValue{s.Text(1), s.Text(2)});
                             }));
  std::vector<std::int64_t> input_rowids;
  std::unordered_map<std::int64_t, std::pair<size_t, size_t>> input_at;  // -> (run, input)
  RETURN_IF_ERROR(ForEachRow(
      db,
      "SELECT i.run_rowid, i.rowid, d.name, d.digest, d.source_type, d.source, d.schema, "
      "d.profile FROM run_inputs i JOIN datasets d ON d.rowid = i.dataset_rowid WHERE "
      "i.run_rowid IN ",
      rowids, " ORDER BY i.run_rowid, i.rowid", [&](Stmt& s) {
        Run& run = runs[at[s.Int(0)]];
        tracking::DatasetInput in;
        in.dataset = {s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6), s.Text(7)};
        input_at[s.Int(1)] = {at[s.Int(0)], run.inputs.size()};
        input_rowids.push_back(s.Int(1));
        run.inputs.push_back(std::move(in));
      }));
  if (!input_rowids.empty()) {
    RETURN_IF_ERROR(
        ForEachRow(db, "SELECT input_rowid, key, value FROM input_tags WHERE input_rowid IN ",
                   input_rowids, " ORDER BY input_rowid, key", [&](Stmt& s) {
                     auto [r, i] = input_at[s.Int(0)];
                     runs[r].inputs[i].tags.push_back(KeyValue{s.Text(1), s.Text(2)});
                   }));
  }
  return runs;
}

}  // namespace mlws::store::sqlite
