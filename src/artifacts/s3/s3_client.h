// S3Client: signed S3 REST calls over libcurl, for the S3 BlobStore. Small responses
// (listings, errors, upload ids) are buffered; object bodies stream both ways (uploads are pulled
// from a BlobReader, downloads are handed out as a BlobReader fed by a transfer thread).
//
// Thread-safe: curl handles come from a pool (connections are reused across calls). Credentials
// only ever go into the signed headers: never into URLs (except presigned ones the caller asks
// for), messages or logs.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "artifacts/s3/sigv4.h"
#include "mlws/artifacts/blob_store.h"

namespace mlws::artifacts {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct S3Endpoint {
  std::string scheme = "https";  // "http" or "https"
  std::string authority;         // host[:port] of the endpoint
  bool path_style = true;
  std::string bucket;
  std::string region = "us-east-1";
  sigv4::Credentials creds;
  long connect_timeout_ms = 5000;
  // The clock requests are signed with (x-amz-date; common/env.h); nullptr = Env::Default().
  Env* env = nullptr;
};

struct S3Response {
  long status = 0;
  std::string body;
  KeyValues headers;  // names lower-cased
  std::optional<std::string> Header(std::string_view lower_name) const;
};

class S3Client {
 public:
  explicit S3Client(S3Endpoint endpoint);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  // One request on `key` (the full object key; "" addresses the bucket). `upload`, when given,
  // is sent as the body with `upload_size` bytes; `body` is sent otherwise (POST/PUT). The
  // response body is buffered (up to 16 MiB). Transport failures are TemporarilyUnavailable;
  // HTTP errors come back as a response (see S3Error).
  StatusOr<S3Response> Call(const std::string& method, const std::string& key,
                            const KeyValues& query, const KeyValues& headers = {},
                            BlobReader* upload = nullptr, std::int64_t upload_size = 0,
                            const std::string& body = "");
  // GET `key` and stream the body; fails (after the headers) on an HTTP error.
  StatusOr<std::unique_ptr<BlobReader>> OpenGet(const std::string& key, const KeyValues& headers,
                                                const std::string& what);
  // A presigned URL for `method` on `key` valid for `expires_seconds`.
  std::string PresignedUrl(const std::string& method, const std::string& key,
                           const KeyValues& query, int expires_seconds) const;
  // "scheme://authority[/bucket]" for messages.
  std::string Describe() const;

 private:
  class StreamReader;
  std::string Path(const std::string& key) const;
  std::string Host() const;
  void* Acquire();
  void Release(void* curl);

  const S3Endpoint ep_;
  std::mutex mu_;
  std::vector<void*> idle_;  // CURL* handles, guarded by mu_
};

// Translates an S3 error response into a Status about `what` ("blob 'a/b'"): NoSuchKey /
// NoSuchUpload / 404 -> NotFound, InvalidRange -> InvalidArgument, AccessDenied & co ->
// PermissionDenied, 5xx -> TemporarilyUnavailable.
Status S3Error(const S3Response& response, const std::string& what);

}  // namespace mlws::artifacts
