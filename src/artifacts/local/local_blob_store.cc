#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "mlws/artifacts/artifact_store.h"
#include "mlws/common/ids.h"

namespace mlws::artifacts {

namespace fs = std::filesystem;

namespace {

Status IoError(const std::string& what, const std::error_code& ec) {
  return Internal(what + ": " + ec.message());
}

Status FsyncPath(const fs::path& p, bool dir) {
  int fd = ::open(p.c_str(), dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return Internal("open " + p.string() + " for fsync failed");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Internal("fsync " + p.string() + " failed");
  return Status::Ok();
}

class LocalArtifactStore final : public ArtifactStore {
 public:
  explicit LocalArtifactStore(fs::path root) : root_(std::move(root)) {}

  Status Init() {
    std::error_code ec;
    fs::create_directories(root_ / ".staging", ec);
    if (ec) return IoError("cannot create artifact root " + root_.string(), ec);
    root_ = fs::canonical(root_, ec);
    if (ec) return IoError("cannot resolve artifact root", ec);
    // Leftovers of uploads interrupted by a crash are garbage.
    for (auto& e : fs::directory_iterator(root_ / ".staging", ec)) fs::remove_all(e.path(), ec);
    return Status::Ok();
  }

  std::string StagingDir() const override { return (root_ / ".staging").string(); }

  Status Commit(const std::string& staged_file, const std::string& path) override {
    ASSIGN_OR_RETURN(fs::path dst, Resolve(path));
    if (path.empty()) return InvalidArgument("an artifact upload needs a file path");
    std::error_code ec;
    if (fs::is_directory(dst, ec)) {
      return InvalidArgument("'" + path + "' is a folder; cannot overwrite it with a file");
    }
    fs::create_directories(dst.parent_path(), ec);
    if (ec) return IoError("cannot create " + dst.parent_path().string(), ec);
    fs::rename(staged_file, dst, ec);
    if (ec) return IoError("cannot move upload into place", ec);
    return FsyncPath(dst.parent_path(), true);
  }

  Status PutBytes(const std::string& path, std::string_view data) override {
    ASSIGN_OR_RETURN(fs::path dst, Resolve(path));
    fs::path tmp = root_ / ".staging" / NewRunId();
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(data.data(), static_cast<std::streamsize>(data.size()));
      if (!out) return Internal("cannot write " + tmp.string());
    }
    RETURN_IF_ERROR(FsyncPath(tmp, false));
    return Commit(tmp.string(), path);
  }

  StatusOr<ReadableFile> Open(const std::string& path) override {
    ASSIGN_OR_RETURN(fs::path p, Resolve(path));
    std::error_code ec;
    auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) return NotFound("Artifact '" + path + "' does not exist");
    if (fs::is_directory(st)) return InvalidArgument("'" + path + "' is a folder, not a file");
    auto size = fs::file_size(p, ec);
    if (ec) return IoError("cannot stat " + path, ec);
    return ReadableFile{p.string(), static_cast<std::int64_t>(size)};
  }

  StatusOr<std::vector<FileInfo>> List(const std::string& path) override {
    ASSIGN_OR_RETURN(fs::path p, Resolve(path));
    std::vector<FileInfo> out;
    std::error_code ec;
    if (!fs::is_directory(p, ec)) return out;
    for (auto& e : fs::directory_iterator(p, ec)) {
      std::string name = e.path().filename().string();
      if (path.empty() && name == ".staging") continue;
      FileInfo fi;
      fi.path = name;
      fi.is_dir = e.is_directory(ec);
      if (!fi.is_dir) fi.file_size = static_cast<std::int64_t>(e.file_size(ec));
      out.push_back(std::move(fi));
    }
    std::sort(out.begin(), out.end(),
              [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
    return out;
  }

  Status Delete(const std::string& path) override {
    if (path.empty()) return InvalidArgument("refusing to delete the artifact root");
    ASSIGN_OR_RETURN(fs::path p, Resolve(path));
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(p, ec))) {
      return NotFound("Artifact '" + path + "' does not exist");
    }
    fs::remove_all(p, ec);
    if (ec) return IoError("cannot delete " + path, ec);
    return Status::Ok();
  }

 private:
  // Maps a validated relative path into the root and refuses symlink escapes: the deepest
  // existing ancestor, resolved, must still be inside the root.
  StatusOr<fs::path> Resolve(const std::string& path) const {
    RETURN_IF_ERROR(ValidateArtifactPath(path));
    fs::path p = path.empty() ? root_ : root_ / path;
    std::error_code ec;
    fs::path probe = p;
    while (!probe.empty() && !fs::exists(fs::symlink_status(probe, ec)))
      probe = probe.parent_path();
    fs::path real = fs::canonical(probe, ec);
    if (ec) return InvalidArgument("invalid artifact path '" + path + "'");
    auto rs = real.string(), root = root_.string();
    if (rs != root && rs.rfind(root + "/", 0) != 0) {
      return InvalidArgument("artifact path '" + path + "' escapes the artifact root");
    }
    return p;
  }

  fs::path root_;
};

}  // namespace

Status ValidateArtifactPath(std::string_view path) {
  if (path.empty()) return Status::Ok();
  if (path.front() == '/') return InvalidArgument("Invalid path: absolute paths are not allowed");
  if (path.size() > 4096) return InvalidArgument("Invalid path: longer than 4096 characters");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") return InvalidArgument("Invalid path: '..' is not allowed");
    if (seg == ".") return InvalidArgument("Invalid path: '.' segments are not allowed");
    if (seg.empty() && end != path.size()) {
      return InvalidArgument("Invalid path: empty path segment");
    }
    start = end + 1;
  }
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\\') {
      return InvalidArgument("Invalid path: control characters and backslashes are not allowed");
    }
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<ArtifactStore>> OpenArtifactStore(const std::string& uri) {
  std::string path;
  if (uri.rfind("file://", 0) == 0) {
    path = uri.substr(7);
  } else if (!uri.empty() && uri.front() == '/') {
    path = uri;
  } else if (uri.rfind("s3://", 0) == 0) {
    return Status(ErrorCode::kNotImplemented,
                  "the S3 artifact store is not available in this build yet; use file:///path");
  } else {
    return InvalidArgument("unsupported artifacts destination '" + uri +
                           "': use file:///absolute/path");
  }
  if (path.empty() || path.front() != '/') {
    return InvalidArgument("artifacts destination must be an absolute path: file:///abs/path");
  }
  auto store = std::make_unique<LocalArtifactStore>(path);
  RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<ArtifactStore>(std::move(store));
}

}  // namespace mlws::artifacts
