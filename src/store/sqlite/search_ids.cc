#include "store/sqlite/search_ids.h"

namespace mlws::store::sqlite {

Status AppendMetricKeyId(SqlBuilder& b, Db& db, const std::string& key) {
  if (db.dialect() != Dialect::kPostgres) {
    b.Add("(SELECT id FROM metric_keys WHERE key = ").Param(key).Add(")");
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT id FROM metric_keys WHERE key = ?"));
  s->Bind(1, key);
  ASSIGN_OR_RETURN(bool found, s->Step());
  std::int64_t id = found ? s->Int(0) : -1;
  s->Reset();
  b.Param(id);
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
  ASSIGN_OR_RETURN(Stmt s, db.Prepare(sub.sql));
  sub.BindAll(s);
  b.Add("(");
  bool first = true;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (!first) b.Add(", ");
    b.Param(s.Int(0));
    first = false;
  }
  if (first) b.Add("NULL");
  b.Add(")");
  return Status::Ok();
}

}  // namespace mlws::store::sqlite
