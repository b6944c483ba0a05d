// ArtifactStore: where run artifacts (files) live, in MLflow's terms (folders, basenames), over a
// BlobStore chosen by URI through OpenArtifactStore (file:///path, s3://bucket/prefix).
//
// All paths are relative, '/'-separated, and must pass ValidateArtifactPath first: the store
// additionally refuses anything that would resolve outside its root (symlinks included).
// Thread-safe. Errors: InvalidArgument (bad path), NotFound, Internal (I/O).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mlws/artifacts/blob_store.h"
#include "mlws/common/status.h"

namespace mlws::artifacts {

struct FileInfo {
  std::string path;  // relative to the listed folder's parent as MLflow expects (see List)
  bool is_dir = false;
  std::optional<std::int64_t> file_size;
};

// A file ready to be streamed to a client.
struct ReadableFile {
  std::unique_ptr<BlobReader> reader;
  std::int64_t size = 0;
};

class ArtifactStore {
 public:
  virtual ~ArtifactStore() = default;
  // A local folder where incoming uploads are written before Commit() moves them into the store
  // (atomically), so a half-received upload is never visible.
  virtual std::string StagingDir() const = 0;
  // Moves the fully written and fsynced `staged_file` to `path`, replacing any existing file.
  virtual Status Commit(const std::string& staged_file, const std::string& path) = 0;
  // Writes `data` to `path` durably (small files: e.g. trace data written by the server).
  virtual Status PutBytes(const std::string& path, std::string_view data) = 0;
  virtual StatusOr<ReadableFile> Open(const std::string& path) = 0;
  // Entries directly under folder `path` ("" = root), sorted by name; names are basenames.
  // A missing folder gives an empty list (as MLflow does).
  virtual StatusOr<std::vector<FileInfo>> List(const std::string& path) = 0;
  // Deletes a file or a folder recursively. Missing paths are NotFound.
  virtual Status Delete(const std::string& path) = 0;
  // The blobs underneath (multipart uploads, streaming).
  virtual BlobStore& blobs() = 0;
};

// Rejects empty segments, ".", "..", absolute paths, backslashes and control characters.
// `path` must already be percent-decoded. The empty path (root) is valid.
Status ValidateArtifactPath(std::string_view path);

// "file:///abs/path", a plain absolute path, or "s3://bucket[/prefix]" (see OpenBlobStore).
// `staging_dir` holds uploads in flight when the blob store has no preferred one (S3); it is
// created when missing.
StatusOr<std::unique_ptr<ArtifactStore>> OpenArtifactStore(const std::string& uri,
                                                           const S3Options& s3 = {},
                                                           const std::string& staging_dir = "");
// The same over an already open blob store.
StatusOr<std::unique_ptr<ArtifactStore>> NewArtifactStore(std::unique_ptr<BlobStore> blobs,
                                                          const std::string& staging_dir);

}  // namespace mlws::artifacts
