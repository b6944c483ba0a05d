// The SQLite VFS shim that puts the database's own file I/O behind the Env seam
// (mlws/common/env.h): a VFS wrapping SQLite's default "unix" one that asks the Env before every
// write (Env::CheckWrite) and every fsync (Env::CheckSync) of the database, its WAL and its
// journals. The real Env allows them all, so the store uses no shim for it; a FaultEnv makes
// them fail (full disk: SQLITE_FULL, failing fsync: SQLITE_IOERR_FSYNC), which SqliteStatus
// (db.h) turns into TemporarilyUnavailable (503, "no space left on device") and Internal (500).
//
// Thread-safe. A VFS registered for an Env stays registered until the process exits (SQLite has
// no reference count on a VFS): the Env must outlive every connection opened with it.
#pragma once

#include <string>

#include "mlws/common/env.h"
#include "mlws/common/status.h"

namespace mlws::store::sqlite {

// The name of the VFS to open a database with so its I/O goes through `env` (registered on the
// first call for that Env), or "" for nullptr and Env::Default(): SQLite's own VFS, no shim.
StatusOr<std::string> EnvVfsName(Env* env);

}  // namespace mlws::store::sqlite
