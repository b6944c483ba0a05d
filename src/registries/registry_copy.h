// Copying a datastore path's files into a registry's storage, wherever both are: a local folder
// or a blob store (S3) on either side. Blob to blob streams each file from one store into the
// other (no local copy, no whole file in memory). Internal to src/registries/.
//
// Errors: NotFound (nothing at `from`), what the stores return (Internal,
// TemporarilyUnavailable); a failed copy may leave part of `to` written (the caller deletes it).
#pragma once

#include "mlws/assets/datastore_io.h"
#include "mlws/common/status.h"

namespace mlws::registries {

// Copies the file or folder at `from` to `to` (a file to the file `to`, a folder's files under
// the folder `to`), replacing files of the same names.
Status CopyPath(const assets::DatastoreLocation& from, const assets::DatastoreLocation& to);

}  // namespace mlws::registries
