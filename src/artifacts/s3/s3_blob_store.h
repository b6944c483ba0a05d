// The S3 BlobStore (s3://bucket[/prefix]) over libcurl, signed with our own SigV4 (sigv4.h):
// blob "a/b" is object "<prefix>/a/b". Works with AWS S3 and S3-compatible servers (S3Proxy,
// SeaweedFS, Ceph RGW, MinIO) in path-style or virtual-hosted addressing.
#pragma once

#include <memory>
#include <string>

#include "mlws/artifacts/blob_store.h"

namespace mlws::artifacts {

// Checks the bucket with a HEAD request before returning: an unreachable endpoint, a missing
// bucket or refused credentials fail here, naming the URI and the cause.
StatusOr<std::unique_ptr<BlobStore>> OpenS3BlobStore(const std::string& uri,
                                                     const S3Options& options);

}  // namespace mlws::artifacts
