// Datastore I/O: where a datastore path's bytes are, and moving them between a datastore and a
// local folder (a job's sandbox, a staged upload) in streams.
//
// A path is either on this machine (a local datastore, or the workspace's own datastore when
// the artifacts destination is a folder) or in a BlobStore (an S3 datastore, or the workspace's
// own datastore when the destination is s3://). Callers go through these functions and never
// assume which: AssetService::Locate() says where a datastore URI is.
//
// Bytes stream both ways (no whole file is held in memory). Names coming out of a store are
// checked with ValidateArtifactPath before they become local paths; local files are read
// without following symbolic links (a job's output folder is written by untrusted code).
// Errors: NotFound (nothing at the path), InvalidArgument (a bad name in the store),
// Internal / TemporarilyUnavailable (I/O, the store is down). Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mlws/artifacts/blob_store.h"
#include "mlws/common/status.h"

namespace mlws::assets {

struct DatastoreLocation {
  std::string local_path;                       // set for a path on this machine
  std::shared_ptr<artifacts::BlobStore> blobs;  // set for a path in a blob store
  std::string key;                              // the path's key in `blobs` ("" = the root)
  bool remote() const { return blobs != nullptr; }
};

enum class PathKind { kMissing, kFile, kFolder };

struct StoredFile {
  std::string rel;  // relative to the located path, '/'-separated ("" when it is the file)
  std::int64_t size = 0;
  std::int64_t mtime_ms = 0;
};

StatusOr<PathKind> StatPath(const DatastoreLocation& at);
// Every file at or below the path, sorted by name (the path itself when it is a file).
StatusOr<std::vector<StoredFile>> ListFiles(const DatastoreLocation& at);
// Copies the file at `at` to the local file `dest`, or the folder at `at` into the local folder
// `dest` (created; existing files are replaced). NotFound when nothing is there.
Status DownloadPath(const DatastoreLocation& at, const std::string& dest);
// Copies the local file or folder `src` (regular files only; links are skipped) to `at`,
// replacing what is there under the same names. Returns the bytes written. An empty folder
// going into a blob store leaves a folder marker (kFolderMarker) so that it still exists (a
// store has no folders, only keys); ListFiles and DownloadPath hide the marker.
StatusOr<std::int64_t> UploadPath(const std::string& src, const DatastoreLocation& at);
// Deletes the file or folder at the path (nothing there is OK).
Status DeletePath(const DatastoreLocation& at);

// Where a blob store keeps the "upload complete" marker of the upload at `upload_key`
// (<base>/LocalUpload/<hash> -> <base>/.mlws-uploads/<hash>): written after the upload's last
// file, outside the upload's folder so jobs and downloads never see it.
std::string UploadMarkerKey(const std::string& upload_key);

// The zero-byte blob that stands for an empty folder in a blob store (<folder>/.mlws-folder).
inline constexpr const char* kFolderMarker = ".mlws-folder";
// True when `rel` (a key, or a name relative to a folder) is a folder marker.
bool IsFolderMarker(const std::string& rel);

}  // namespace mlws::assets
