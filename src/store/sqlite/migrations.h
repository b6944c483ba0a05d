// Numbered schema migrations of the SQL store (SQLite; PostgreSQL runs them translated). Applied in
// order, each in its own transaction, recording the version reached in `schema_version`. Never edit
// a released migration: add one.
#pragma once

#include "mlws/common/status.h"
#include "store/sqlite/db.h"

namespace mlws::store::sqlite {

// Applies every migration above the database's current version. Returns the version reached.
StatusOr<int> ApplyMigrations(Db& db);

}  // namespace mlws::store::sqlite
