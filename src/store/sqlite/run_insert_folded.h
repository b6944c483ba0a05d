// PostgreSQL: a new run's experiment check, its row and its tags in one statement, so CreateRun
// is one round trip to the database instead of about eight (the experiment lookup, its state,
// the insert, lastval() and one statement per tag). Writer thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/store/run_store.h"
#include "store/sqlite/db.h"

namespace mlws::store::sqlite {

constexpr std::size_t kMaxFoldedRunTags = 64;

struct FoldedRun {
  std::int64_t rowid = 0;
  std::string artifact_uri;
};

// Inserts the run of experiment number `exp_num` named `name` with `tags` (distinct keys, at
// most kMaxFoldedRunTags). nullopt, with nothing written, when that experiment is missing or
// not active: the caller's own lookup then says which.
StatusOr<std::optional<FoldedRun>> InsertRunFolded(Db& db, const NewRun& nr, std::int64_t exp_num,
                                                   const std::string& name,
                                                   const std::vector<tracking::KeyValue>& tags);

}  // namespace mlws::store::sqlite
