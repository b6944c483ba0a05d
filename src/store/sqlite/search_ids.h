// The metric key ids and experiment rowids of a run search, as SQL fragments for SearchRuns.
//
// SQLite gets subqueries ("(SELECT id FROM metric_keys WHERE key = ?)"), as before. PostgreSQL
// gets the values, looked up first on the same connection: its planner cannot see through the
// subqueries (it guessed that 0.2% of the runs were in the experiment, chose a sequential scan of
// runs and sorted every match: 71 ms at 10,000 runs), while with values its statistics lead it to
// scan the (key_id, value) index in order and stop after one page (under 2 ms). The ids found
// are remembered on the connection (Db::KnownId), so repeated searches look nothing up. Reader or
// writer connection; no writes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "store/sqlite/sql_builder.h"

namespace mlws::store::sqlite {

// Appends the id of metric `key`: a subquery on SQLite, a parameter on PostgreSQL (-1, which no
// key has, when `key` was never logged).
Status AppendMetricKeyId(SqlBuilder& b, Db& db, const std::string& key);

// Appends "(...)" for "r.experiment_rowid IN (...)": the rowids of the experiments numbered
// `exp_ids` in `workspace_id` (NULL, matching nothing, when there are none).
Status AppendExperimentRowids(SqlBuilder& b, Db& db, std::int64_t workspace_id,
                              const std::vector<std::int64_t>& exp_ids);

}  // namespace mlws::store::sqlite
