// LockKey: a lock on a name rather than on a row, held until the writer's transaction ends, for a
// read-modify-write whose rows may not exist yet: the next version of an asset name, the
// workspace's default datastore, a document a create first checks is absent. A row lock
// (SELECT ... FOR NO KEY UPDATE) cannot guard a row that is not there.
//
// SQLite: nothing to do; the writer holds the file's write lock for the whole transaction, so
// other processes on the file wait anyway.
// PostgreSQL: pg_advisory_xact_lock on a 64-bit hash of `key`. Another server's LockKey of the
// same key waits until this transaction commits or rolls back; its next statement then sees what
// this one committed (READ COMMITTED). Two keys whose hashes collide only wait for each other.
// Take keys in one order (coarse before fine) so two servers cannot deadlock on them.
#pragma once

#include <string_view>

#include "mlws/common/status.h"
#include "store/sqlite/db.h"

namespace mlws::store::sqlite {

Status LockKey(Db& db, std::string_view key);

}  // namespace mlws::store::sqlite
