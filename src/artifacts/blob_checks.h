// Argument checks every BlobStore backend shares, so all of them refuse the same input the same
// way (blob_reader.cc).
#pragma once

#include "mlws/artifacts/blob_store.h"

namespace mlws::artifacts {

// max_keys in 1..1000 and a prefix that is a valid path (optionally ending in one '/').
Status CheckListOptions(const ListOptions& options);

}  // namespace mlws::artifacts
