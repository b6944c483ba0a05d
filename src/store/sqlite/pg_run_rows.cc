#include "store/sqlite/pg_run_rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

namespace mlws::store::sqlite {

namespace {

constexpr std::size_t kRows = 64;  // rows per statement; more are written in slices

// The main query reads the table as it was before the insert (a data-modifying WITH is not
// seen by its own statement): the keys the run had, with their values, and how many were new.
const char* ParamsSql(std::size_t n) {
  static const auto sql = [] {
    std::array<std::string, kRows + 1> s;
    for (std::size_t i = 1; i <= kRows; ++i) {
      s[i] = "WITH v (key, value) AS (VALUES " + KeyValueRows(i) +
             "), ins AS (INSERT INTO params (run_rowid, key, value) SELECT CAST(? AS BIGINT), "
             "v.key, v.value FROM v ON CONFLICT (run_rowid, key) DO NOTHING RETURNING key) "
             "SELECT (SELECT count(*) FROM ins), p.key, p.value, v.value FROM v LEFT JOIN params "
             "p ON p.run_rowid = CAST(? AS BIGINT) AND p.key = v.key";
    }
    return s;
  }();
  return sql[n].c_str();
}

const char* TagsSql(std::size_t n) {
  static const auto sql = [] {
    std::array<std::string, kRows + 1> s;
    for (std::size_t i = 1; i <= kRows; ++i) {
      s[i] =
          "INSERT INTO tags (run_rowid, key, value) SELECT CAST(? AS BIGINT), v.key, v.value "
          "FROM (VALUES " +
          KeyValueRows(i) +
          ") AS v (key, value) ON CONFLICT (run_rowid, key) DO UPDATE SET value = "
          "excluded.value";
    }
    return s;
  }();
  return sql[n].c_str();
}

StatusOr<bool> InsertSlice(Db& db, std::int64_t run_rowid, const std::string& run_id,
                           const tracking::KeyValue* params, std::size_t n) {
  ASSIGN_OR_RETURN(Stmt * s, db.Cached(ParamsSql(n)));
  int p = 0;
  for (std::size_t i = 0; i < n; ++i) {
    s->Bind(++p, params[i].key);
    s->Bind(++p, params[i].value);
  }
  s->Bind(p + 1, run_rowid).Bind(p + 2, run_rowid);
  std::int64_t inserted = 0, same = 0;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    inserted = s->Int(0);
    if (s->IsNull(1)) continue;  // a new key
    if (s->TextView(2) == s->TextView(3)) {
      ++same;
      continue;
    }
    Status st = ParamValueChanged(s->TextView(1), s->TextView(2), run_id, s->TextView(3));
    s->Reset();
    return st;
  }
  s->Reset();
  return inserted + same == static_cast<std::int64_t>(n);
}

}  // namespace

Status ParamValueChanged(std::string_view key, std::string_view stored, const std::string& run_id,
                         std::string_view attempted) {
  return InvalidArgument(fmt::format(
      "Changing param values is not allowed. Param with key='{}' was already logged with "
      "value='{}' for run ID='{}'. Attempted logging new value '{}'.",
      key, stored, run_id, attempted));
}

std::string KeyValueRows(std::size_t n) {
  std::string v;
  for (std::size_t i = 0; i < n; ++i) {
    v += i == 0 ? "" : ", ";
    v += "(CAST(? AS TEXT), CAST(? AS TEXT))";
  }
  return v;
}

StatusOr<bool> InsertParamsPg(Db& db, std::int64_t run_rowid, const std::string& run_id,
                              const std::vector<tracking::KeyValue>& params) {
  bool whole = true;
  for (std::size_t at = 0; at < params.size(); at += kRows) {
    std::size_t n = std::min(kRows, params.size() - at);
    ASSIGN_OR_RETURN(bool done, InsertSlice(db, run_rowid, run_id, params.data() + at, n));
    whole = whole && done;
  }
  return whole;
}

Status UpsertTagsPg(Db& db, std::int64_t run_rowid, const std::vector<tracking::KeyValue>& tags) {
  // ON CONFLICT cannot change one row twice in a statement: one value per key, the last.
  std::map<std::string, std::string> last;
  for (const auto& t : tags) last[t.key] = t.value;
  std::vector<const std::pair<const std::string, std::string>*> rows;
  for (const auto& kv : last) rows.push_back(&kv);
  for (std::size_t at = 0; at < rows.size(); at += kRows) {
    std::size_t n = std::min(kRows, rows.size() - at);
    ASSIGN_OR_RETURN(Stmt * s, db.Cached(TagsSql(n)));
    int p = 0;
    s->Bind(++p, run_rowid);
    for (std::size_t i = 0; i < n; ++i) {
      s->Bind(++p, rows[at + i]->first);
      s->Bind(++p, rows[at + i]->second);
    }
    RETURN_IF_ERROR(s->Run());
  }
  return Status::Ok();
}

}  // namespace mlws::store::sqlite
