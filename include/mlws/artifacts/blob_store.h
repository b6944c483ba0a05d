// BlobStore: the byte seam. Every stored file (artifact, upload, snapshot, model file) is a blob
// named by a key in one flat namespace; backends are a local folder (file:///path) and an
// S3-compatible bucket (s3://bucket/prefix), chosen by URI through OpenBlobStore.
//
// Keys are relative, '/'-separated and pass ValidateArtifactPath (no "..", no empty segments,
// no control characters); the empty key is never an object. A "folder" is only a key prefix
// ending in '/': it exists while a blob under it does.
//
// Contract, the same on every backend (tests/artifacts/blob_store_conformance_test.cc checks it):
// - Put/PutFile/CompleteMultipart are atomic: readers see the old blob or the whole new one,
//   never a part; when they return OK the bytes are durable.
// - Bytes stream both ways: no call holds a whole blob in memory.
// - Errors: InvalidArgument (bad key, bad range, bad part list), NotFound (missing blob or
//   upload), Internal / TemporarilyUnavailable (I/O, backend down). Messages name the key and
//   the cause, never credentials.
// Thread-safe: one store serves all threads; a BlobReader is one thread's, freed before its store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::artifacts {

// A pull reader over bytes: a blob being read, or data being written.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  // Copies up to `cap` bytes into `buf`; 0 means the end.
  virtual StatusOr<std::size_t> Read(char* buf, std::size_t cap) = 0;
  // Total bytes this reader yields, when known.
  virtual std::optional<std::int64_t> Size() const = 0;
};

// Reads an in-memory string (small blobs, tests).
std::unique_ptr<BlobReader> StringReader(std::string data);
// Reads `length` bytes (to the end when nullopt) of a local file from `offset` on: staged
// uploads on their way into a store, and the local backend's blobs.
StatusOr<std::unique_ptr<BlobReader>> OpenFileReader(const std::string& path,
                                                     std::int64_t offset = 0,
                                                     std::optional<std::int64_t> length = {});

struct BlobInfo {
  std::string key;
  std::int64_t size = 0;
  std::int64_t mtime_ms = 0;
};

struct ListOptions {
  std::string prefix;      // a plain string prefix ("a/b" matches "a/b/c" and "a/bc")
  bool delimited = false;  // stop at the next '/' after the prefix: subfolders in `prefixes`
  std::string page_token;  // from the previous page; empty for the first
  int max_keys = 1000;     // at most 1..1000 entries per page; pages may come short
};

struct BlobPage {
  std::vector<BlobInfo> blobs;        // sorted by key (bytewise)
  std::vector<std::string> prefixes;  // delimited only: "a/b/" forms, sorted, each once
  std::string next_page_token;        // empty on the last page
};

// An inclusive-exclusive byte window of a blob; no length means to the end.
struct ByteRange {
  std::int64_t offset = 0;
  std::optional<std::int64_t> length;
};

struct CompletedPart {
  int part_number = 0;  // 1..10000, strictly increasing in a Complete call
  std::string etag;     // as UploadPart returned it
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // The store's URI, without credentials (for messages and docs).
  virtual std::string Uri() const = 0;
  // A local folder from which PutFile is cheapest (the local store renames out of its own
  // staging folder); empty when any folder will do.
  virtual std::string PreferredStagingDir() const { return {}; }

  // Writes `data` to `key`, replacing any blob there.
  virtual Status Put(const std::string& key, BlobReader& data) = 0;
  // Writes the local file `staged_file` (complete and fsynced) to `key`; the file is consumed
  // (moved or deleted) on success.
  virtual Status PutFile(const std::string& key, const std::string& staged_file) = 0;
  // A reader over the blob (or a window of it). An offset past the end is InvalidArgument.
  virtual StatusOr<std::unique_ptr<BlobReader>> Get(const std::string& key,
                                                    ByteRange range = {}) = 0;
  virtual StatusOr<BlobInfo> Stat(const std::string& key) = 0;
  virtual StatusOr<BlobPage> List(const ListOptions& options) = 0;
  // Deletes one blob; a missing blob is NotFound.
  virtual Status Delete(const std::string& key) = 0;
  // Deletes every blob whose key starts with `prefix` (which must be non-empty and end in
  // '/'); returns how many went.
  virtual StatusOr<std::int64_t> DeletePrefix(const std::string& prefix) = 0;

  // Multipart upload: parts (each but the last >= 5 MiB on S3) are uploaded independently, in
  // any order, and become the blob at Complete, atomically. Abort drops them.
  virtual StatusOr<std::string> CreateMultipart(const std::string& key) = 0;
  virtual StatusOr<std::string> UploadPart(const std::string& key, const std::string& upload_id,
                                           int part_number, BlobReader& data) = 0;
  virtual Status CompleteMultipart(const std::string& key, const std::string& upload_id,
                                   const std::vector<CompletedPart>& parts) = 0;
  virtual Status AbortMultipart(const std::string& key, const std::string& upload_id) = 0;
  // Whether clients can upload parts straight to the store (PresignUploadPart works).
  virtual bool SupportsPresignedParts() const { return false; }
  // A URL a client PUTs one part to directly, valid for `expires_seconds` (S3: presigned;
  // the response's ETag header is the part's etag). NotImplemented on stores without it.
  virtual StatusOr<std::string> PresignUploadPart(const std::string& key,
                                                  const std::string& upload_id, int part_number,
                                                  int expires_seconds) {
    (void)key, (void)upload_id, (void)part_number, (void)expires_seconds;
    return Status(ErrorCode::kNotImplemented, "this store cannot presign uploads");
  }
};

// Where an s3:// store talks to and how. Empty fields fall back to the AWS_* environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION /
// AWS_DEFAULT_REGION, AWS_ENDPOINT_URL / MLFLOW_S3_ENDPOINT_URL).
struct S3Options {
  std::string endpoint_url;        // e.g. http://127.0.0.1:9000; default AWS S3 of the region
  std::string region;              // default us-east-1
  std::optional<bool> path_style;  // default: true with a custom endpoint, else virtual-hosted
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  long connect_timeout_ms = 5000;
  std::int64_t multipart_threshold = 64LL << 20;  // PutFile above this size goes multipart
  std::int64_t part_size = 16LL << 20;
};

// "file:///abs/path", a plain absolute path, or "s3://bucket[/prefix]". An s3:// store checks
// that its bucket is reachable before it is returned (bounded by connect_timeout_ms).
StatusOr<std::unique_ptr<BlobStore>> OpenBlobStore(const std::string& uri,
                                                   const S3Options& s3 = {});

// Copies a reader to the end into a blob-sized string, refusing more than `max_bytes`.
StatusOr<std::string> ReadAll(BlobReader& reader, std::size_t max_bytes);

}  // namespace mlws::artifacts
