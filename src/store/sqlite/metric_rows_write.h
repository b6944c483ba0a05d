// Writes a log-batch's metric rows (a chunk and a latest-value row per key) with multi-row
// statements: one INSERT for up to 64 keys instead of two statements per key, which was most
// of the writer's time for requests with many keys and few steps. Writer thread only (the Db
// is the writer's connection); portable SQL (SQLite and PostgreSQL).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/tracking/entities.h"
#include "store/sqlite/db.h"

namespace mlws::store::sqlite {

struct MetricKeyRows {
  std::int64_t key_id = 0;
  std::int64_t seq = 0;               // metric_chunks.seq
  std::int64_t count = 0;             // points in `blob`
  const std::string* blob = nullptr;  // EncodeMetricPoint format (or a multi-key chunk)
  const tracking::Metric* latest = nullptr;
};

// Inserts every key's chunk and replaces its stored latest point when `latest` is later
// (step, timestamp, value; NaN larger), as the single-row statements did. Keys are distinct.
Status WriteMetricKeyRows(Db& db, std::int64_t run_rowid, const std::vector<MetricKeyRows>& rows);
// Only the chunks (`latest` unused), or only the latest values (`seq`, `count`, `blob` unused).
Status WriteMetricChunkRows(Db& db, std::int64_t run_rowid, const std::vector<MetricKeyRows>& rows);
Status WriteLatestMetricRows(Db& db, std::int64_t run_rowid,
                             const std::vector<MetricKeyRows>& rows);

// The ON CONFLICT clause of an INSERT INTO latest_metrics AS l: a stored latest point is
// replaced only by a later one.
const char* LatestUpsertClause();

// PostgreSQL only: WriteMetricKeyRows on the run `run_id` of the workspace, looked up in the
// same statement: one round trip instead of two (the lookup, then the write). False, with
// nothing written, when that run is missing or not active: the caller looks it up again for the
// error. At most kMaxRowsPerStatement rows.
constexpr int kMaxRowsPerStatement = 64;
StatusOr<bool> WriteMetricKeyRowsOfActiveRun(Db& db, std::int64_t workspace_id,
                                             const std::string& run_id,
                                             const std::vector<MetricKeyRows>& rows);

}  // namespace mlws::store::sqlite
