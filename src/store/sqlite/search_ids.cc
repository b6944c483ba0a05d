#include "store/sqlite/search_ids.h"

#include <fmt/format.h>

#include <optional>

namespace mlws::store::sqlite {

Status AppendMetricKeyId(SqlBuilder& b, Db& db, const std::string& key) {
  if (db.dialect() != Dialect::kPostgres) {
    b.Add("(SELECT id FROM metric_keys WHERE key = ").Param(key).Add(")");
    return Status::Ok();
  }
  // A key's id never changes once it exists (keys are never deleted): remembered per connection.
  const std::string memo = "metric_key:" + key;
  std::optional<std::int64_t> id = db.KnownId(memo);
  if (!id) {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT id FROM metric_keys WHERE key = ?"));
    s->Bind(1, key);
    ASSIGN_OR_RETURN(bool found, s->Step());
    if (found) {
      id = s->Int(0);
      db.RememberId(memo, *id);
    }
    s->Reset();
  }
  b.Param(id.value_or(-1));
  return Status::Ok();
}

Status AppendExperimentRowids(SqlBuilder& b, Db& db, std::int64_t workspace_id,
                              const std::vector<std::int64_t>& exp_ids) {
  if (exp_ids.empty()) {
    b.Add("(NULL)");  // no id can exist: match nothing (an empty IN () is SQLite-only)
    return Status::Ok();
  }
  SqlBuilder sub;
  sub.Add("SELECT rowid FROM experiments WHERE workspace_id = ")
      .Param(workspace_id)
      .Add(" AND exp_id IN (");
  for (size_t i = 0; i < exp_ids.size(); ++i) {
    if (i > 0) sub.Add(", ");
    sub.Param(exp_ids[i]);
  }
  sub.Add(")");
  if (db.dialect() != Dialect::kPostgres) {
    b.Add("(").Add(sub.sql).Add(")");
    b.params.insert(b.params.end(), sub.params.begin(), sub.params.end());
    return Status::Ok();
  }
  // An experiment's rowid never changes, and experiments are deleted only with their workspace,
  // whose id PostgreSQL never hands out again: each one found is remembered per connection, so
  // a search of known experiments looks nothing up.
  auto memo = [&](std::int64_t exp_id) {
    return fmt::format("experiment:{}:{}", workspace_id, exp_id);
  };
  std::vector<std::int64_t> rowids;
  bool all_known = true;
  for (std::int64_t e : exp_ids) {
    std::optional<std::int64_t> known = db.KnownId(memo(e));
    if (!known) {
      all_known = false;
      break;
    }
    rowids.push_back(*known);
  }
  if (!all_known) {
    rowids.clear();
    sub.sql = "SELECT rowid, exp_id" + sub.sql.substr(sub.sql.find(" FROM "));
    ASSIGN_OR_RETURN(Stmt s, db.Prepare(sub.sql));
    sub.BindAll(s);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      rowids.push_back(s.Int(0));
      db.RememberId(memo(s.Int(1)), s.Int(0));
    }
  }
  b.Add("(");
  for (size_t i = 0; i < rowids.size(); ++i) {
    if (i > 0) b.Add(", ");
    b.Param(rowids[i]);
  }
  if (rowids.empty()) b.Add("NULL");
  b.Add(")");
  return Status::Ok();
}

}  // namespace mlws::store::sqlite
