// LoadRuns: many runs with their data in a fixed number of queries (one per table, each over
// all the runs), whatever the page size. Over a network connection (PostgreSQL) the per-run
// queries of LoadRun would cost a round trip each: five per run, 500 for a page of 100.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <unordered_map>

#include "store/sqlite/metric_key_names.h"
#include "store/sqlite/sql_builder.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

using tracking::KeyValue;
using tracking::Run;

namespace {

// The text of `head` + " IN (?, ?, ...)" + `tail` with `slots` placeholders.
std::string InListSql(std::string_view head, std::size_t slots, std::string_view tail) {
  std::string sql(head);
  sql += "(";
  for (std::size_t i = 0; i < slots; ++i) sql += i == 0 ? "?" : ", ?";
  sql += ")";
  sql += tail;
  return sql;
}

// `head` + " IN (ids)" + `tail`, prepared and bound. The IN list is padded to a power of two
// with copies of the last id (a row matches an IN list once, however often its id is listed),
// so a page of any size reuses a prepared statement instead of parsing and planning its query
// again (up to 1,024 ids; larger lists are prepared for the one call). Copies rather than
// NULLs: PostgreSQL drops NULLs from a plan made for the values, which then looks cheaper than
// the generic plan of the prepared statement, so every execution was planned again (0.15-0.3
// ms each, five per page).
struct InQuery {
  std::optional<Stmt> own;
  Stmt* stmt = nullptr;
};

Status BindIn(Db& db, std::string_view head, const std::vector<std::int64_t>& ids,
              std::string_view tail, InQuery& q) {
  std::size_t slots = 1;
  while (slots < ids.size()) slots *= 2;
  if (slots <= 1024) {
    ASSIGN_OR_RETURN(q.stmt, SharedStmt(db, InListSql(head, slots, tail), q.own));
  } else {
    ASSIGN_OR_RETURN(Stmt fresh, db.Prepare(InListSql(head, slots, tail)));
    q.own.emplace(std::move(fresh));
    q.stmt = &*q.own;
  }
  for (std::size_t i = 0; i < slots; ++i) {
    if (ids.empty()) {
      q.stmt->BindNull(static_cast<int>(i + 1));  // matches nothing
    } else {
      q.stmt->Bind(static_cast<int>(i + 1), ids[std::min(i, ids.size() - 1)]);
    }
  }
  return Status::Ok();
}

// Calls `row` for each result row of `s`.
template <typename F>
Status ForEachRow(Stmt& s, F row) {
  for (;;) {
    ASSIGN_OR_RETURN(bool more, s.Step());
    if (!more) return Status::Ok();
    row(s);
  }
}

// Run rowid -> index in the page. The load queries return each run's rows together, so the
// last answer is remembered: one hash lookup per run rather than per row.
class RunIndex {
 public:
  explicit RunIndex(const std::vector<std::int64_t>& rowids) {
    for (std::size_t i = 0; i < rowids.size(); ++i) at_.emplace(rowids[i], i);
  }
  std::size_t operator()(std::int64_t rowid) {
    if (rowid != last_rowid_) {
      last_rowid_ = rowid;
      auto it = at_.find(rowid);  // the queries return rows of these runs only
      last_ = it != at_.end() ? it->second : 0;
    }
    return last_;
  }

 private:
  std::unordered_map<std::int64_t, std::size_t> at_;
  std::int64_t last_rowid_ = 0;  // no run has rowid 0
  std::size_t last_ = 0;
};

constexpr std::string_view kLatestMetricsHead =
    "SELECT run_rowid, key_id, value, is_nan, timestamp, step FROM latest_metrics WHERE "
    "run_rowid IN ";

// The runs' latest metric values, each run's sorted by key. Key ids are named through the
// `key_names` cache, not a join to metric_keys per row (the join was a fifth of a page's cost).
// Kept in one function: it is the one read of latest_metrics' layout in a search. `metrics` is
// the kLatestMetricsHead query over the page's runs, bound (and, on PostgreSQL, already run).
Status LoadLatestMetrics(Db& db, MetricKeyNames& key_names, Stmt& metrics, RunIndex& at,
                         std::vector<Run>& runs) {
  std::vector<std::int64_t> key_ids;
  std::vector<std::pair<std::size_t, std::size_t>> where;  // (run, metric) of key_ids[i]
  RETURN_IF_ERROR(ForEachRow(metrics, [&](Stmt& s) {
    std::size_t r = at(s.Int(0));
    tracking::Metric& m = runs[r].metrics.emplace_back();
    m.value = s.Int(3) != 0 ? std::nan("") : s.Double(2);
    m.timestamp = s.Int(4);
    m.step = s.Int(5);
    key_ids.push_back(s.Int(1));
    where.emplace_back(r, runs[r].metrics.size() - 1);
  }));
  std::vector<std::string> names;
  RETURN_IF_ERROR(key_names.Names(db, key_ids, names));
  for (std::size_t i = 0; i < names.size(); ++i) {
    runs[where[i].first].metrics[where[i].second].key = std::move(names[i]);
  }
  // Sorted here, not by the query: an ORDER BY on the key name makes SQLite sort each run's
  // rows in a temporary b-tree it clears (a page memset) once per run.
  for (Run& run : runs) {
    std::sort(run.metrics.begin(), run.metrics.end(),
              [](const tracking::Metric& a, const tracking::Metric& b) { return a.key < b.key; });
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::vector<Run>> SqliteRunStore::LoadRuns(Db& db, MetricKeyNames& key_names,
                                                    const std::vector<std::int64_t>& rowids) {
  std::vector<Run> runs(rowids.size());
  if (rowids.empty()) return runs;
  RunIndex at(rowids);
  std::vector<bool> found(rowids.size(), false);
  // The page's five queries are independent: bound first, then sent together (one round trip
  // on PostgreSQL, see Db::RunAll), then read in turn.
  InQuery info_q, metrics_q, params_q, tags_q, inputs_q;
  RETURN_IF_ERROR(BindIn(
      db,
      "SELECT r.rowid, r.run_uuid, r.name, e.exp_id, r.user_id, r.status, r.start_time, "
      "r.end_time, r.artifact_uri, r.lifecycle_stage FROM runs r JOIN experiments e ON e.rowid = "
      "r.experiment_rowid WHERE r.rowid IN ",
      rowids, "", info_q));
  RETURN_IF_ERROR(BindIn(db, kLatestMetricsHead, rowids, "", metrics_q));
  RETURN_IF_ERROR(BindIn(db, "SELECT run_rowid, key, value FROM params WHERE run_rowid IN ", rowids,
                         " ORDER BY run_rowid, key", params_q));
  RETURN_IF_ERROR(BindIn(db, "SELECT run_rowid, key, value FROM tags WHERE run_rowid IN ", rowids,
                         " ORDER BY run_rowid, key", tags_q));
  RETURN_IF_ERROR(
      BindIn(db,
             "SELECT i.run_rowid, i.rowid, d.name, d.digest, d.source_type, d.source, d.schema, "
             "d.profile FROM run_inputs i JOIN datasets d ON d.rowid = i.dataset_rowid WHERE "
             "i.run_rowid IN ",
             rowids, " ORDER BY i.run_rowid, i.rowid", inputs_q));
  RETURN_IF_ERROR(
      db.RunAll({info_q.stmt, metrics_q.stmt, params_q.stmt, tags_q.stmt, inputs_q.stmt}));
  RETURN_IF_ERROR(ForEachRow(*info_q.stmt, [&](Stmt& s) {
    size_t i = at(s.Int(0));
    found[i] = true;
    tracking::RunInfo& info = runs[i].info;
    info.rowid = s.Int(0);
    info.run_id = s.Text(1);
    info.run_name = s.Text(2);
    info.experiment_id = std::to_string(s.Int(3));
    info.user_id = s.Text(4);
    info.status = tracking::ParseRunStatus(s.TextView(5)).value_or(tracking::RunStatus::kRunning);
    info.start_time = s.Int(6);
    if (!s.IsNull(7)) info.end_time = s.Int(7);
    info.artifact_uri = s.Text(8);
    info.lifecycle_stage = s.TextView(9) == "deleted" ? tracking::LifecycleStage::kDeleted
                                                      : tracking::LifecycleStage::kActive;
  }));
  for (bool f : found) {
    if (!f) return NotFound("run not found");
  }
  RETURN_IF_ERROR(LoadLatestMetrics(db, key_names, *metrics_q.stmt, at, runs));
  RETURN_IF_ERROR(ForEachRow(*params_q.stmt, [&](Stmt& s) {
    runs[at(s.Int(0))].params.push_back(KeyValue{s.Text(1), s.Text(2)});
  }));
  RETURN_IF_ERROR(ForEachRow(*tags_q.stmt, [&](Stmt& s) {
    runs[at(s.Int(0))].tags.push_back(KeyValue{s.Text(1), s.Text(2)});
  }));
  std::vector<std::int64_t> input_rowids;
  std::unordered_map<std::int64_t, std::pair<size_t, size_t>> input_at;  // -> (run, input)
  RETURN_IF_ERROR(ForEachRow(*inputs_q.stmt, [&](Stmt& s) {
    std::size_t r = at(s.Int(0));
    Run& run = runs[r];
    tracking::DatasetInput in;
    in.dataset = {s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6), s.Text(7)};
    input_at[s.Int(1)] = {r, run.inputs.size()};
    input_rowids.push_back(s.Int(1));
    run.inputs.push_back(std::move(in));
  }));
  if (!input_rowids.empty()) {
    InQuery tags_of_inputs;
    RETURN_IF_ERROR(BindIn(db,
                           "SELECT input_rowid, key, value FROM input_tags WHERE input_rowid IN ",
                           input_rowids, " ORDER BY input_rowid, key", tags_of_inputs));
    RETURN_IF_ERROR(ForEachRow(*tags_of_inputs.stmt, [&](Stmt& s) {
      auto [r, i] = input_at[s.Int(0)];
      runs[r].inputs[i].tags.push_back(KeyValue{s.Text(1), s.Text(2)});
    }));
  }
  return runs;
}

}  // namespace mlws::store::sqlite
