#include "store/sqlite/metric_rows_write.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace mlws::store::sqlite {

namespace {

// Statements for 64, 32, ..., 1 rows: a batch is split into these sizes (binary), so a few
// prepared statements serve every batch size.
constexpr std::array<int, 7> kSizes = {kMaxRowsPerStatement, 32, 16, 8, 4, 2, 1};

std::string Values(int rows, int columns) {
  std::string one = "(";
  for (int c = 0; c < columns; ++c) one += c == 0 ? "?" : ", ?";
  one += ")";
  std::string out;
  for (int r = 0; r < rows; ++r) {
    if (r > 0) out += ", ";
    out += one;
  }
  return out;
}

enum class Rows { kChunks = 0, kLatest = 1, kBoth = 2 };

std::string ChunksSql(int rows) {
  return "INSERT INTO metric_chunks (run_rowid, key_id, seq, count, data) VALUES " +
         Values(rows, 5);
}

// A stored latest point is replaced only by a later one (step, timestamp, NaN, value).
constexpr const char* kLatestUpsert =
    " ON CONFLICT (run_rowid, key_id) DO UPDATE SET value = excluded.value, is_nan = "
    "excluded.is_nan, timestamp = excluded.timestamp, step = excluded.step WHERE "
    "excluded.step > l.step OR (excluded.step = l.step AND (excluded.timestamp > "
    "l.timestamp OR (excluded.timestamp = l.timestamp AND (excluded.is_nan > l.is_nan OR "
    "(excluded.is_nan = l.is_nan AND excluded.value > l.value)))))";

}  // namespace

const char* LatestUpsertClause() { return kLatestUpsert; }

namespace {

std::string LatestSql(int rows) {
  return "INSERT INTO latest_metrics AS l (run_rowid, key_id, value, is_nan, timestamp, step) "
         "VALUES " +
         Values(rows, 6) + kLatestUpsert;
}

struct Sql {
  std::array<std::string, kSizes.size()> chunks;
  std::array<std::string, kSizes.size()> latest;
};

// Built once; the strings' addresses are the statement cache's keys.
const Sql& Statements() {
  static const Sql sql = [] {
    Sql s;
    for (std::size_t i = 0; i < kSizes.size(); ++i) {
      s.chunks[i] = ChunksSql(kSizes[i]);
      s.latest[i] = LatestSql(kSizes[i]);
    }
    return s;
  }();
  return sql;
}

// PostgreSQL: a slice of up to kSizes[0] keys in one statement of exactly their number (both
// inserts in one through a data-modifying WITH), so a slice costs one round trip, not one per
// binary size (10 keys were 8 + 2: four round trips).
const char* ExactSql(Rows what, int rows) {
  static const auto sql = [] {
    std::array<std::array<std::string, kSizes[0] + 1>, 3> s;
    for (int n = 1; n <= kSizes[0]; ++n) {
      s[0][n] = ChunksSql(n);
      s[1][n] = LatestSql(n);
      s[2][n] = "WITH c AS (" + ChunksSql(n) + ") " + LatestSql(n);
    }
    return s;
  }();
  return sql[static_cast<int>(what)][rows].c_str();
}

// PostgreSQL: the run found and both inserts in one statement (data-modifying WITHs), the run's
// row count answered; the VALUES are cast because PostgreSQL types a VALUES list by itself.
const char* FoldedSql(int rows) {
  static const auto sql = [] {
    std::array<std::string, kSizes[0] + 1> s;
    const std::string row =
        "(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BYTEA), "
        "CAST(? AS DOUBLE PRECISION), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))";
    for (int n = 1; n <= kSizes[0]; ++n) {
      std::string values;
      for (int r = 0; r < n; ++r) values += (r == 0 ? "" : ", ") + row;
      s[n] =
          "WITH r AS (SELECT rowid FROM runs WHERE run_uuid = ? AND workspace_id = ? AND "
          "lifecycle_stage = 'active'), v (key_id, seq, count, data, value, is_nan, timestamp, "
          "step) AS (VALUES " +
          values +
          "), c AS (INSERT INTO metric_chunks (run_rowid, key_id, seq, count, data) SELECT "
          "r.rowid, v.key_id, v.seq, v.count, v.data FROM r CROSS JOIN v), m AS (INSERT INTO "
          "latest_metrics AS l (run_rowid, key_id, value, is_nan, timestamp, step) SELECT "
          "r.rowid, v.key_id, v.value, v.is_nan, v.timestamp, v.step FROM r CROSS JOIN v" +
          kLatestUpsert + ") SELECT count(*) FROM r";
    }
    return s;
  }();
  return sql[rows].c_str();
}

// Binds `n` rows' chunk values from parameter first + 1 on.
void BindChunks(Stmt& s, int first, std::int64_t run_rowid, const MetricKeyRows* rows, int n) {
  for (int r = 0; r < n; ++r) {
    const MetricKeyRows& k = rows[r];
    int p = first + r * 5;
    s.Bind(p + 1, run_rowid).Bind(p + 2, k.key_id).Bind(p + 3, k.seq).Bind(p + 4, k.count);
    s.BindBlob(p + 5, k.blob->data(), static_cast<int>(k.blob->size()));
  }
}

// Binds `n` rows' latest values from parameter first + 1 on.
void BindLatest(Stmt& s, int first, std::int64_t run_rowid, const MetricKeyRows* rows, int n) {
  for (int r = 0; r < n; ++r) {
    const tracking::Metric& l = *rows[r].latest;
    bool nan = std::isnan(l.value);
    int p = first + r * 6;
    s.Bind(p + 1, run_rowid).Bind(p + 2, rows[r].key_id);
    if (nan) {
      s.BindNull(p + 3);
    } else {
      s.Bind(p + 3, l.value);
    }
    s.Bind(p + 4, nan ? 1 : 0).Bind(p + 5, l.timestamp).Bind(p + 6, l.step);
  }
}

Status RunBound(Db& db, const char* sql, Rows what, std::int64_t run_rowid,
                const MetricKeyRows* rows, int n) {
  ASSIGN_OR_RETURN(Stmt * s, db.Cached(sql));
  if (what != Rows::kLatest) BindChunks(*s, 0, run_rowid, rows, n);
  if (what != Rows::kChunks) BindLatest(*s, what == Rows::kBoth ? 5 * n : 0, run_rowid, rows, n);
  return s->Run();
}

Status Write(Db& db, Rows what, std::int64_t run_rowid, const std::vector<MetricKeyRows>& rows) {
  std::size_t done = 0;
  if (db.dialect() == Dialect::kPostgres) {
    while (done < rows.size()) {
      int n = static_cast<int>(std::min<std::size_t>(rows.size() - done, kSizes[0]));
      RETURN_IF_ERROR(RunBound(db, ExactSql(what, n), what, run_rowid, rows.data() + done, n));
      done += static_cast<std::size_t>(n);
    }
    return Status::Ok();
  }
  const Sql& sql = Statements();
  for (std::size_t i = 0; i < kSizes.size(); ++i) {
    while (rows.size() - done >= static_cast<std::size_t>(kSizes[i])) {
      const MetricKeyRows* slice = rows.data() + done;
      if (what != Rows::kLatest) {
        RETURN_IF_ERROR(
            RunBound(db, sql.chunks[i].c_str(), Rows::kChunks, run_rowid, slice, kSizes[i]));
      }
      if (what != Rows::kChunks) {
        RETURN_IF_ERROR(
            RunBound(db, sql.latest[i].c_str(), Rows::kLatest, run_rowid, slice, kSizes[i]));
      }
      done += static_cast<std::size_t>(kSizes[i]);
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<bool> WriteMetricKeyRowsOfActiveRun(Db& db, std::int64_t workspace_id,
                                             const std::string& run_id,
                                             const std::vector<MetricKeyRows>& rows) {
  int n = static_cast<int>(rows.size());
  if (db.dialect() != Dialect::kPostgres || n < 1 || n > kSizes[0]) {
    return Internal("a folded metric write takes 1 to 64 keys, on PostgreSQL");
  }
  ASSIGN_OR_RETURN(Stmt * s, db.Cached(FoldedSql(n)));
  s->Bind(1, run_id).Bind(2, workspace_id);
  for (int r = 0; r < n; ++r) {
    const MetricKeyRows& k = rows[r];
    const tracking::Metric& l = *k.latest;
    bool nan = std::isnan(l.value);
    int p = 2 + r * 8;
    s->Bind(p + 1, k.key_id).Bind(p + 2, k.seq).Bind(p + 3, k.count);
    s->BindBlob(p + 4, k.blob->data(), static_cast<int>(k.blob->size()));
    if (nan) {
      s->BindNull(p + 5);
    } else {
      s->Bind(p + 5, l.value);
    }
    s->Bind(p + 6, nan ? 1 : 0).Bind(p + 7, l.timestamp).Bind(p + 8, l.step);
  }
  ASSIGN_OR_RETURN(bool row, s->Step());
  bool found = row && s->Int(0) > 0;
  s->Reset();
  return found;
}

Status WriteMetricKeyRows(Db& db, std::int64_t run_rowid, const std::vector<MetricKeyRows>& rows) {
  return Write(db, Rows::kBoth, run_rowid, rows);
}

Status WriteMetricChunkRows(Db& db, std::int64_t run_rowid,
                            const std::vector<MetricKeyRows>& rows) {
  return Write(db, Rows::kChunks, run_rowid, rows);
}

Status WriteLatestMetricRows(Db& db, std::int64_t run_rowid,
                             const std::vector<MetricKeyRows>& rows) {
  return Write(db, Rows::kLatest, run_rowid, rows);
}

}  // namespace mlws::store::sqlite
