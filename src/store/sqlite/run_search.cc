// SearchRuns: compiles parsed filter clauses and order-by items into one SQL query.
//
// Metric clauses become inner joins on latest_metrics so SQLite can drive the query from the
// (key_id, value) index; an order-by on a metric that is also filtered reuses that join, which
// turns "filter metrics.acc > x, order by metrics.acc DESC, page of 100" into an index range scan
// that stops after 100 rows.
#include <fmt/format.h>

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

}  // namespace

StatusOr<std::vector<tracking::Run>> SqliteStore::SearchRuns(const RunQuery& q) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  Db& db = lease.db();  // also resolves ids for PostgreSQL's planner (search_ids.h)
  SqlBuilder joins, where, order;
  std::vector<std::pair<std::string, std::string>> metric_join_aliases;  // key -> alias
  int alias = 0;

  for (const Clause& c : q.filter) {
    switch (c.type) {
      case EntityType::kMetric: {
        std::string a = fmt::format("f{}", alias++);
        joins.Add(fmt::format(
            " JOIN latest_metrics {0} ON {0}.run_rowid = r.rowid AND {0}.key_id = ", a));
        RETURN_IF_ERROR(AppendMetricKeyId(joins, db, c.key));
        joins.Add(" AND ");
        AppendComparison(joins, a + ".value", c);
        metric_join_aliases.emplace_back(c.key, a);
        break;
      }
      case EntityType::kParam:
      case EntityType::kTag: {
        const char* table = c.type == EntityType::kParam ? "params" : "tags";
        // An IN-subquery lets SQLite drive from the (key, value) index instead of probing
        // every run of the experiment.
        where
            .Add(fmt::format(" AND r.rowid IN (SELECT p.run_rowid FROM {} p WHERE p.key = ", table))
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
  b.Add("SELECT r.rowid FROM runs r");
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
  b.sql += order.sql;
  b.Add("r.start_time DESC, r.run_uuid ASC LIMIT ").Param(q.limit).Add(" OFFSET ").Param(q.offset);

  ASSIGN_OR_RETURN(Stmt s, db.Prepare(b.sql));
  b.BindAll(s);
  std::vector<std::int64_t> rowids;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    rowids.push_back(s.Int(0));
  }
  return LoadRuns(db, rowids);
}

}  // namespace mlws::store::sqlite
