// The local-folder BlobStore (file:///path): blob "a/b" is the file <root>/a/b. Writes go to
// <root>/.staging first (same filesystem) and are renamed into place after an fsync, so a blob
// is never seen half-written; symlinks are never followed out of the root.
#pragma once

#include <memory>
#include <string>

#include "mlws/artifacts/blob_store.h"
#include "mlws/common/env.h"

namespace mlws::artifacts {

// Creates the root (and its staging folder) when missing and drops staging leftovers. Its file
// writes, fsyncs and renames go through `env` (nullptr = Env::Default(); see common/env.h).
StatusOr<std::unique_ptr<BlobStore>> OpenLocalBlobStore(const std::string& root,
                                                        Env* env = nullptr);

}  // namespace mlws::artifacts
