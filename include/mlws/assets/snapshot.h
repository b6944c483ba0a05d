// Snapshots: a local file or folder identified by a content hash and moved as one tar+zstd
// archive (CLI uploads of asset paths and job code; the server unpacks and verifies them).
//
// Content hash: sha256 (hex) of the manifest "<path>\0<size>\0<sha256 hex>\n" over every regular
// file, sorted by '/'-separated relative path. A single file is hashed as a folder holding only
// that file, so a file and a folder of one identical file share a hash. Empty folders, modes and
// times are not part of the content. Symlinks, devices and sockets are refused.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "mlws/common/status.h"

namespace mlws::assets {

struct SnapshotInfo {
  std::string hash;
  std::int64_t files = 0;
  std::int64_t bytes = 0;  // sum of file sizes
};

// Hashes a local file or folder. NotFound if missing; InvalidArgument for symlinks/special files.
StatusOr<SnapshotInfo> HashLocalPath(const std::string& local_path);

// Packs a local file or folder into `archive_path` (tar + zstd, sorted entries, zeroed
// times/owners) and returns its content hash. `progress(done_bytes, total_bytes)` is called as
// files are added (may be empty).
StatusOr<SnapshotInfo> PackSnapshot(
    const std::string& local_path, const std::string& archive_path,
    const std::function<void(std::int64_t, std::int64_t)>& progress);

// Unpacks `archive_path` into the folder `dest` (created; must not exist). Refuses absolute
// paths, "..", links, devices, more than `max_files` entries or `max_bytes` unpacked bytes.
// Returns the content hash of what was unpacked. On error `dest` is removed.
StatusOr<SnapshotInfo> UnpackSnapshot(const std::string& archive_path, const std::string& dest,
                                      std::int64_t max_files, std::int64_t max_bytes);

// "0123…" (64 lower-case hex digits)?
bool IsContentHash(const std::string& s);

}  // namespace mlws::assets
