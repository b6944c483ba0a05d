// PostgreSQL: a whole log-batch in one statement. The run is found, its params inserted and
// compared, its tags upserted, its one metric chunk inserted and every key's latest point
// upserted by data-modifying WITHs of one statement, so such a batch costs one round trip (it
// was six: the run, params, tags, the chunk, the latest rows, the multi-key chunk count). The
// rows travel as arrays (unnest), so one prepared statement serves every batch size.
// Writer thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/tracking/entities.h"
#include "store/sqlite/db.h"
#include "store/sqlite/metric_rows_write.h"

namespace mlws::store::sqlite {

struct FoldedBatch {
  std::int64_t workspace_id = 0;
  const std::string* run_id = nullptr;
  const std::vector<tracking::KeyValue>* params = nullptr;
  // Distinct keys (the last value of each), none of them mlflow.runName (it also names the
  // run: the caller's general path keeps the two in step).
  const std::vector<tracking::KeyValue>* tags = nullptr;
  // The batch's one chunk row, if it has metrics: a key's own chunk or a multi-key chunk.
  std::optional<MetricKeyRows> chunk;
  // Every key's latest point (key_id and latest set).
  const std::vector<MetricKeyRows>* latest = nullptr;
};

struct FoldedBatchResult {
  std::int64_t run_rowid = 0;  // 0: the run is missing or not active, and nothing was written
  // False when some param key was inserted meanwhile by another transaction (another server):
  // the caller compares those one by one.
  bool params_checked = true;
  std::int64_t multi_key_chunks = 0;  // the run's multi-key chunks, this batch's included
};

// A param the run has with another value is MLflow's INVALID_PARAMETER_VALUE, naming both
// values; the caller's savepoint undoes the rest of the statement.
StatusOr<FoldedBatchResult> WriteFoldedBatchPg(Db& db, const FoldedBatch& b);

// PostgreSQL's text form of an array (`{"a","b\"c"}`, `{1,NULL,2}`), for a parameter cast to
// TEXT[], BIGINT[] or DOUBLE PRECISION[].
std::string PgTextArray(const std::vector<const std::string*>& values);
std::string PgIntArray(const std::vector<std::int64_t>& values);
// NaN is written as NULL (latest_metrics keeps NaN as a NULL value and is_nan = 1).
std::string PgDoubleArray(const std::vector<double>& values);

}  // namespace mlws::store::sqlite
