// Folding a run's multi-key metric chunks (metric_codec.h) into per-key chunks, on the writer.
//
// A request with many keys and few points per key stores one multi-key chunk (one row, not one
// per key); reading one key's history must then read every such row of the run. Once a run has
// kCompactMultiKeyChunks of them, the writer folds them, in the same transaction as the write
// that made the last one, into one chunk per key under a new sequence number (larger than any
// in the run, so a history stream opened earlier, which holds the multi-key points it needs
// since it opened, does not read them twice) and deletes them. A run therefore never has more
// than kCompactMultiKeyChunks - 1 multi-key chunks between writes. Writer thread only; portable
// SQL (SQLite and PostgreSQL).
#pragma once

#include <cstdint>

#include "mlws/common/status.h"
#include "store/sqlite/db.h"

namespace mlws::store::sqlite {

// Folds the run's multi-key chunks into per-key chunks numbered `seq` when it has at least
// kCompactMultiKeyChunks of them; Internal if one is malformed.
Status CompactMultiKeyChunks(Db& db, std::int64_t run_rowid, std::int64_t seq);

}  // namespace mlws::store::sqlite
