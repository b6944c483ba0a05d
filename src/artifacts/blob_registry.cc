// OpenBlobStore: the backend registry, by URI scheme.
#include "artifacts/local/local_blob_store.h"
#include "artifacts/s3/s3_blob_store.h"
#include "mlws/artifacts/blob_store.h"

namespace mlws::artifacts {

StatusOr<std::unique_ptr<BlobStore>> OpenBlobStore(const std::string& uri, const S3Options& s3) {
  if (uri.rfind("file://", 0) == 0) return OpenLocalBlobStore(uri.substr(7));
  if (!uri.empty() && uri.front() == '/') return OpenLocalBlobStore(uri);
  if (uri.rfind("s3://", 0) == 0) return OpenS3BlobStore(uri, s3);
  return InvalidArgument("unsupported store URI '" + uri +
                         "': use file:///absolute/path or s3://bucket/prefix");
}

}  // namespace mlws::artifacts
