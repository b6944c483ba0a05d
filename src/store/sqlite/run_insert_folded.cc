#include "store/sqlite/run_insert_folded.h"

#include <array>

#include "store/sqlite/pg_run_rows.h"

namespace mlws::store::sqlite {

namespace {

// One statement per tag count, built once (the strings' addresses are the statement cache's
// keys). The run row is inserted only for an active experiment, and the tags only with it.
const char* Sql(std::size_t tags) {
  static const auto sql = [] {
    std::array<std::string, kMaxFoldedRunTags + 1> s;
    for (std::size_t n = 0; n <= kMaxFoldedRunTags; ++n) {
      std::string q =
          "WITH e AS (SELECT rowid, lifecycle_stage, artifact_location FROM experiments WHERE "
          "workspace_id = ? AND exp_id = ?), r AS (INSERT INTO runs (run_uuid, workspace_id, "
          "experiment_rowid, name, user_id, status, start_time, artifact_uri) SELECT CAST(? AS "
          "TEXT), CAST(? AS BIGINT), e.rowid, CAST(? AS TEXT), CAST(? AS TEXT), 'RUNNING', "
          "CAST(? AS BIGINT), CASE WHEN CAST(? AS TEXT) = '' THEN COALESCE(rtrim("
          "e.artifact_location, '/'), '') || '/' || CAST(? AS TEXT) || '/artifacts' ELSE CAST(? "
          "AS TEXT) END FROM e WHERE e.lifecycle_stage = 'active' RETURNING rowid, "
          "artifact_uri)";
      if (n > 0) {
        q += ", t AS (INSERT INTO tags (run_rowid, key, value) SELECT r.rowid, v.key, v.value "
             "FROM r CROSS JOIN (VALUES " +
             KeyValueRows(n) + ") AS v (key, value))";
      }
      q += " SELECT r.rowid, r.artifact_uri FROM r";
      s[n] = std::move(q);
    }
    return s;
  }();
  return sql[tags].c_str();
}

}  // namespace

StatusOr<std::optional<FoldedRun>> InsertRunFolded(Db& db, const NewRun& nr, std::int64_t exp_num,
                                                   const std::string& name,
                                                   const std::vector<tracking::KeyValue>& tags) {
  if (db.dialect() != Dialect::kPostgres || tags.size() > kMaxFoldedRunTags) {
    return Internal("a folded run insert takes at most 64 tags, on PostgreSQL");
  }
  ASSIGN_OR_RETURN(Stmt * s, db.Cached(Sql(tags.size())));
  s->Bind(1, nr.workspace_id).Bind(2, exp_num);
  s->Bind(3, nr.run_id).Bind(4, nr.workspace_id).Bind(5, name).Bind(6, nr.user_id);
  s->Bind(7, nr.start_time).Bind(8, nr.artifact_uri).Bind(9, nr.run_id).Bind(10, nr.artifact_uri);
  int p = 10;
  for (const auto& t : tags) {
    s->Bind(++p, t.key);
    s->Bind(++p, t.value);
  }
  ASSIGN_OR_RETURN(bool row, s->Step());
  std::optional<FoldedRun> out;
  if (row) out = FoldedRun{s->Int(0), s->Text(1)};
  s->Reset();
  return out;
}

}  // namespace mlws::store::sqlite
