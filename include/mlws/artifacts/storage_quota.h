// StorageQuota: how many bytes each workspace may keep in the artifact store (run artifacts,
// uploaded asset files, job outputs: everything under <artifacts_root>/<workspace id>/).
//
// Usage is the sum of the sizes of the regular files there, measured by a scan that is redone
// when it is older than `rescan_after` and kept current in between by the writes admitted here
// (deletes show up at the next scan). A write is admitted when usage + its size fits the limit;
// otherwise Admit() fails with kQuotaExceeded (HTTP 413, RESOURCE_EXHAUSTED) and the caller
// writes nothing. Writes that bypass Admit() (a job writing its own folder) count from the next
// scan on. A limit of 0 means no limit (and no scans).
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "mlws/artifacts/blob_store.h"
#include "mlws/common/status.h"

namespace mlws::artifacts {

class StorageQuota {
 public:
  StorageQuota(std::string artifacts_root, std::int64_t limit_bytes,
               std::chrono::seconds rescan_after = std::chrono::seconds(60));

  // Measures usage by listing the keys under "<workspace id>/" in `blobs` (an s3://
  // destination) instead of scanning the folder. Not owned; set once, before use.
  void ScanBlobs(BlobStore* blobs) { blobs_ = blobs; }

  std::int64_t limit_bytes() const { return limit_; }
  // Checks that `bytes` more fit in the workspace's quota and counts them as used.
  Status Admit(std::int64_t workspace_id, std::int64_t bytes);
  // Bytes the workspace may still write (INT64_MAX without a limit).
  std::int64_t Remaining(std::int64_t workspace_id);
  // Bytes in use, as of the last scan plus the writes admitted since.
  std::int64_t Usage(std::int64_t workspace_id);

 private:
  struct Entry {
    std::int64_t bytes = 0;
    std::chrono::steady_clock::time_point scanned;
  };
  std::int64_t UsageLocked(std::int64_t workspace_id);

  const std::string root_;
  const std::int64_t limit_;
  const std::chrono::seconds rescan_after_;
  BlobStore* blobs_ = nullptr;
  std::mutex mu_;
  std::map<std::int64_t, Entry> usage_;  // guarded by mu_
};

}  // namespace mlws::artifacts
