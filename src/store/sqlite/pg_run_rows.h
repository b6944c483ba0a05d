// PostgreSQL: a run's params and its tags, each written with one multi-row statement instead of
// one or two round trips per row (a log-batch of 5 params and 3 tags was 13 round trips).
// Writer thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/tracking/entities.h"
#include "store/sqlite/db.h"

namespace mlws::store::sqlite {

// "(CAST(? AS TEXT), CAST(? AS TEXT)), ..." for n rows: a VALUES list of key/value pairs
// (PostgreSQL types a VALUES list by itself, so the casts).
std::string KeyValueRows(std::size_t n);

// MLflow's INVALID_PARAMETER_VALUE for a param logged again with another value.
Status ParamValueChanged(std::string_view key, std::string_view stored, const std::string& run_id,
                         std::string_view attempted);

// Inserts the params (distinct keys) a run does not have yet. A key it has with another value
// is MLflow's INVALID_PARAMETER_VALUE, naming both values; the caller's savepoint undoes the
// rest. False when some key was inserted meanwhile by another transaction (another server):
// the caller checks those one by one.
StatusOr<bool> InsertParamsPg(Db& db, std::int64_t run_rowid, const std::string& run_id,
                              const std::vector<tracking::KeyValue>& params);

// Upserts the tags; of a key given twice the last value is kept.
Status UpsertTagsPg(Db& db, std::int64_t run_rowid, const std::vector<tracking::KeyValue>& tags);

}  // namespace mlws::store::sqlite
