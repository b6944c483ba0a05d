#include "store/sqlite/metric_rows_write.h"

#include <array>
#include <cmath>

namespace mlws::store::sqlite {

namespace {

// Statements for 64, 32, ..., 1 rows: a batch is split into these sizes (binary), so a few
// prepared statements serve every batch size.
constexpr std::array<int, 7> kSizes = {64, 32, 16, 8, 4, 2, 1};

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

struct Sql {
  std::array<std::string, kSizes.size()> chunks;
  std::array<std::string, kSizes.size()> latest;
};

// Built once; the strings' addresses are the statement cache's keys.
const Sql& Statements() {
  static const Sql sql = [] {
    Sql s;
    for (std::size_t i = 0; i < kSizes.size(); ++i) {
      s.chunks[i] = "INSERT INTO metric_chunks (run_rowid, key_id, seq, count, data) VALUES " +
                    Values(kSizes[i], 5);
      s.latest[i] =
          "INSERT INTO latest_metrics AS l (run_rowid, key_id, value, is_nan, timestamp, step) "
          "VALUES " +
          Values(kSizes[i], 6) +
          " ON CONFLICT (run_rowid, key_id) DO UPDATE SET value = excluded.value, is_nan = "
          "excluded.is_nan, timestamp = excluded.timestamp, step = excluded.step WHERE "
          "excluded.step > l.step OR (excluded.step = l.step AND (excluded.timestamp > "
          "l.timestamp OR (excluded.timestamp = l.timestamp AND (excluded.is_nan > l.is_nan OR "
          "(excluded.is_nan = l.is_nan AND excluded.value > l.value)))))";
    }
    return s;
  }();
  return sql;
}

Status WriteSlice(Db& db, std::size_t size_index, std::int64_t run_rowid,
                  const MetricKeyRows* rows) {
  const Sql& sql = Statements();
  const int n = kSizes[size_index];
  ASSIGN_OR_RETURN(Stmt * ins, db.Cached(sql.chunks[size_index].c_str()));
  for (int r = 0; r < n; ++r) {
    const MetricKeyRows& k = rows[r];
    int p = r * 5;
    ins->Bind(p + 1, run_rowid).Bind(p + 2, k.key_id).Bind(p + 3, k.seq).Bind(p + 4, k.count);
    ins->BindBlob(p + 5, k.blob->data(), static_cast<int>(k.blob->size()));
  }
  RETURN_IF_ERROR(ins->Run());
  ASSIGN_OR_RETURN(Stmt * up, db.Cached(sql.latest[size_index].c_str()));
  for (int r = 0; r < n; ++r) {
    const tracking::Metric& l = *rows[r].latest;
    bool nan = std::isnan(l.value);
    int p = r * 6;
    up->Bind(p + 1, run_rowid).Bind(p + 2, rows[r].key_id);
    if (nan) {
      up->BindNull(p + 3);
    } else {
      up->Bind(p + 3, l.value);
    }
    up->Bind(p + 4, nan ? 1 : 0).Bind(p + 5, l.timestamp).Bind(p + 6, l.step);
  }
  return up->Run();
}

}  // namespace

Status WriteMetricKeyRows(Db& db, std::int64_t run_rowid, const std::vector<MetricKeyRows>& rows) {
  std::size_t done = 0;
  for (std::size_t i = 0; i < kSizes.size(); ++i) {
    while (rows.size() - done >= static_cast<std::size_t>(kSizes[i])) {
      RETURN_IF_ERROR(WriteSlice(db, i, run_rowid, rows.data() + done));
      done += static_cast<std::size_t>(kSizes[i]);
    }
  }
  return Status::Ok();
}

}  // namespace mlws::store::sqlite
