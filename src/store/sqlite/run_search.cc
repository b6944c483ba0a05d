// SearchRuns: compiles parsed filter clauses and order-by items into one SQL query.
//
// Metric clauses become inner joins on latest_metrics so SQLite can drive the query from the
// (key_id, value) index; an order-by on a metric that is also filtered reuses that join, which
// turns "filter metrics.acc > x, order by metrics.acc DESC, page of 100" into an index range scan
// that stops after 100 rows.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite/search_ids.h"
#include "store/sqlite/sql_builder.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

using tracking::Clause;
using tracking::EntityType;
using tracking::OrderBy;

namespace {

std::string AttributeColumn(const std::string& key) {
  if (key == "run_id") return "r.run_uuid";
  if (key == "run_name") return "r.name";
  if (key == "status" || key == "user_id" || key == "artifact_uri" || key == "start_time" ||
      key == "end_time" || key == "lifecycle_stage") {
    return "r." + key;
  }
  return "";
}

// Whether a param or tag clause matches at least 1/kSparseRunFraction of the runs (estimated
// by the largest run rowid: an upper bound, so the test errs towards "selective"). It decides
// how the clause joins the search:
// - selective: `r.rowid IN (SELECT ...)`, which SQLite materialises once from the (key, value)
//   index; cheap for few rows, but 50,000 matches at 100,000 runs cost 60 ms per search;
// - unselective: a correlated EXISTS, one primary-key probe per candidate run, so an ordered,
//   limited scan stops after about kSparseRunFraction x (offset + limit) candidates.
// The count reads at most runs / kSparseRunFraction index entries.
constexpr std::int64_t kSparseRunFraction = 32;

StatusOr<bool> MatchesManyRuns(Db& db, const char* table, const Clause& c) {
  std::optional<Stmt> own;
  ASSIGN_OR_RETURN(Stmt * top, SharedStmt(db, "SELECT max(rowid) FROM runs", own));
  ASSIGN_OR_RETURN(bool row, top->Step());
  std::int64_t runs = row && !top->IsNull(0) ? top->Int(0) : 0;
  top->Reset();
  std::int64_t enough = runs / kSparseRunFraction;
  if (enough < 1) return false;
  SqlBuilder b;
  b.Add(fmt::format("SELECT count(*) FROM (SELECT 1 FROM {} p WHERE p.key = ", table))
      .Param(c.key)
      .Add(" AND ");
  AppendComparison(b, "p.value", c);
  b.Add(" LIMIT ").Param(enough).Add(") AS n");
  std::optional<Stmt> own_count;
  ASSIGN_OR_RETURN(Stmt * count, SharedStmt(db, b.sql, own_count));
  b.BindAll(*count);
  ASSIGN_OR_RETURN(bool got, count->Step());
  bool many = got && count->Int(0) >= enough;
  count->Reset();
  return many;
}

// A page ordered by one filtered metric: the query returns rows in that metric's index order
// only (rowid, value, start_time, run_uuid), and the tie-break (start time, newest first, then
// run id) is applied here. Putting the tie-break in the ORDER BY made SQLite sort every group of
// equal values in a temporary b-tree it clears per group: with distinct values, once per row
// (9,000 instructions each, 1 ms per page of 100). Reads the page's rows plus the rows that tie
// with its last one, then stops.
StatusOr<std::vector<std::int64_t>> ReadTieWindow(Stmt& s, bool ascending, std::int64_t offset,
                                                  std::int64_t limit) {
  struct Row {
    std::int64_t rowid;
    double value;
    std::int64_t start_time;
    std::string run_id;
  };
  std::vector<Row> rows;
  std::size_t need = static_cast<std::size_t>(std::max<std::int64_t>(0, offset) +
                                              std::max<std::int64_t>(0, limit));
  while (need > 0) {
    ASSIGN_OR_RETURN(bool more, s.Step());
    if (!more) break;
    double value = s.Double(1);
    if (rows.size() >= need && value != rows[need - 1].value) break;
    rows.push_back(Row{s.Int(0), value, s.Int(2), s.Text(3)});
  }
  s.Reset();
  std::sort(rows.begin(), rows.end(), [ascending](const Row& a, const Row& b) {
    if (a.value != b.value) return ascending ? a.value < b.value : a.value > b.value;
    if (a.start_time != b.start_time) return a.start_time > b.start_time;
    return a.run_id < b.run_id;
  });
  std::vector<std::int64_t> rowids;
  for (std::size_t i = static_cast<std::size_t>(std::max<std::int64_t>(0, offset));
       i < rows.size() && rowids.size() < static_cast<std::size_t>(limit); ++i) {
    rowids.push_back(rows[i].rowid);
  }
  return rowids;
}

}  // namespace

StatusOr<std::vector<tracking::Run>> SqliteRunStore::SearchRuns(const RunQuery& q) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  Db& db = lease.db();  // also resolves ids for PostgreSQL's planner (search_ids.h)
  SqlBuilder joins, where, order;
  std::vector<std::pair<std::string, std::string>> metric_join_aliases;  // key -> alias
  int alias = 0;
  std::string window_alias;  // the one order-by is this filtered metric's join: ReadTieWindow
  // The run a param or tag clause tests: with a metric clause, its join's run_rowid (f0, the
  // first metric clause's alias), so SQLite tests the clause while it scans that metric's index,
  // before it looks the run's row up; the join makes the two equal.
  bool metric_join = std::any_of(q.filter.begin(), q.filter.end(),
                                 [](const Clause& c) { return c.type == EntityType::kMetric; });
  const char* run_rowid = metric_join ? "f0.run_rowid" : "r.rowid";

  for (const Clause& c : q.filter) {
    switch (c.type) {
      case EntityType::kMetric: {
        std::string a = fmt::format("f{}", alias++);
        joins.Add(fmt::format(
            " JOIN latest_metrics {0} ON {0}.run_rowid = r.rowid AND {0}.key_id = ", a));
        RETURN_IF_ERROR(AppendMetricKeyId(joins, db, c.key));
        joins.Add(" AND ");
        AppendComparison(joins, a + ".value", c);
        if (c.is_numeric) metric_join_aliases.emplace_back(c.key, a);
        break;
      }
      case EntityType::kParam:
      case EntityType::kTag: {
        const char* table = c.type == EntityType::kParam ? "params" : "tags";
        ASSIGN_OR_RETURN(bool many, MatchesManyRuns(db, table, c));
        where
            .Add(many ? fmt::format(" AND EXISTS (SELECT 1 FROM {} p WHERE p.run_rowid = "
                                    "{} AND p.key = ",
                                    table, run_rowid)
                      : fmt::format(" AND {} IN (SELECT p.run_rowid FROM {} p WHERE p.key = ",
                                    run_rowid, table))
            .Param(c.key)
            .Add(" AND ");
        AppendComparison(where, "p.value", c);
        where.Add(")");
        break;
      }
      case EntityType::kAttribute: {
        std::string col = AttributeColumn(c.key);
        if (col.empty()) return InvalidArgument("Invalid attribute key '" + c.key + "'");
        where.Add(" AND ");
        AppendComparison(where, col, c);
        break;
      }
      case EntityType::kDataset: {
        if (c.key == "context") {
          where.Add(
              " AND EXISTS (SELECT 1 FROM run_inputs i JOIN input_tags t ON t.input_rowid = "
              "i.rowid WHERE i.run_rowid = r.rowid AND t.key = 'mlflow.data.context' AND ");
          AppendComparison(where, "t.value", c);
        } else if (c.key == "name" || c.key == "digest") {
          where.Add(
              " AND EXISTS (SELECT 1 FROM run_inputs i JOIN datasets d ON d.rowid = "
              "i.dataset_rowid WHERE i.run_rowid = r.rowid AND ");
          AppendComparison(where, "d." + c.key, c);
        } else {
          return InvalidArgument("Invalid dataset key '" + c.key + "'");
        }
        where.Add(")");
        break;
      }
    }
  }

  for (const OrderBy& o : q.order_by) {
    const char* dir = o.ascending ? " ASC" : " DESC";
    switch (o.type) {
      case EntityType::kMetric: {
        std::string filtered;
        for (const auto& [k, a] : metric_join_aliases) {
          if (k == o.key) filtered = a;
        }
        if (!filtered.empty()) {
          // Inner-joined and compared with a number: no missing or NaN rows remain.
          order.Add(filtered).Add(".value").Add(dir).Add(", ");
          // Not on PostgreSQL: it sends the whole unlimited result (50,000 rows at 100,000 runs,
          // 330 ms), where its incremental sort under LIMIT stops after one page.
          if (q.order_by.size() == 1 && db.dialect() != Dialect::kPostgres) {
            window_alias = filtered;
          }
          break;
        }
        std::string a = fmt::format("o{}", alias++);
        joins.Add(fmt::format(
            " LEFT JOIN latest_metrics {0} ON {0}.run_rowid = r.rowid AND {0}.key_id = ", a));
        RETURN_IF_ERROR(AppendMetricKeyId(joins, db, o.key));
        // Missing values last; NaN is larger than any number.
        order.Add(
            fmt::format("({0}.run_rowid IS NULL) ASC, {0}.is_nan{1}, {0}.value{1}, ", a, dir));
        break;
      }
      case EntityType::kParam:
      case EntityType::kTag: {
        std::string a = fmt::format("o{}", alias++);
        joins
            .Add(fmt::format(" LEFT JOIN {1} {0} ON {0}.run_rowid = r.rowid AND {0}.key = ", a,
                             o.type == EntityType::kParam ? "params" : "tags"))
            .Param(o.key);
        order.Add(fmt::format("({0}.value IS NULL) ASC, {0}.value{1}, ", a, dir));
        break;
      }
      case EntityType::kAttribute: {
        std::string col = AttributeColumn(o.key);
        if (col.empty()) return InvalidArgument("Invalid order_by key '" + o.key + "'");
        order.Add(fmt::format("({0} IS NULL) ASC, {0}{1}, ", col, dir));
        break;
      }
      case EntityType::kDataset: return InvalidArgument("Cannot order runs by dataset fields");
    }
  }

  SqlBuilder b;
  b.Add(window_alias.empty()
            ? std::string("SELECT r.rowid FROM runs r")
            : fmt::format("SELECT r.rowid, {}.value, r.start_time, r.run_uuid FROM runs r",
                          window_alias));
  b.sql += joins.sql;
  b.params.insert(b.params.end(), joins.params.begin(), joins.params.end());
  b.Add(" WHERE r.workspace_id = ").Param(q.workspace_id);
  std::vector<std::int64_t> exp_ids;
  for (const auto& id : q.experiment_ids) {
    bool digits =
        !id.empty() && id.size() <= 18 && id.find_first_not_of("0123456789") == std::string::npos;
    if (digits) exp_ids.push_back(std::stoll(id));  // an id that cannot exist matches nothing
  }
  b.Add(" AND r.experiment_rowid IN ");
  RETURN_IF_ERROR(AppendExperimentRowids(b, db, q.workspace_id, exp_ids));
  if (q.view == tracking::ViewType::kActiveOnly) b.Add(" AND r.lifecycle_stage = 'active'");
  if (q.view == tracking::ViewType::kDeletedOnly) b.Add(" AND r.lifecycle_stage = 'deleted'");
  b.sql += where.sql;
  b.params.insert(b.params.end(), where.params.begin(), where.params.end());
  b.Add(" ORDER BY ");
  if (!window_alias.empty()) {
    b.Add(window_alias).Add(".value").Add(q.order_by[0].ascending ? " ASC" : " DESC");
    std::optional<Stmt> own;
    ASSIGN_OR_RETURN(Stmt * s, SharedStmt(db, b.sql, own));
    b.BindAll(*s);
    ASSIGN_OR_RETURN(auto rowids, ReadTieWindow(*s, q.order_by[0].ascending, q.offset, q.limit));
    return LoadRuns(db, key_names_, rowids);
  }
  b.sql += order.sql;
  b.Add("r.start_time DESC, r.run_uuid ASC LIMIT ").Param(q.limit).Add(" OFFSET ").Param(q.offset);

  std::optional<Stmt> own;
  ASSIGN_OR_RETURN(Stmt * s, SharedStmt(db, b.sql, own));
  b.BindAll(*s);
  std::vector<std::int64_t> rowids;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    rowids.push_back(s->Int(0));
  }
  s->Reset();  // ends the statement's read before the page's runs are loaded
  return LoadRuns(db, key_names_, rowids);
}

}  // namespace mlws::store::sqlite
