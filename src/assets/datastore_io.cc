// Datastore I/O over a local folder or a BlobStore (include/mlws/assets/datastore_io.h).
#include "mlws/assets/datastore_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "mlws/artifacts/artifact_store.h"

namespace mlws::assets {

namespace {

namespace fs = std::filesystem;

std::string Join(const std::string& key, const std::string& rel) {
  if (key.empty()) return rel;
  if (rel.empty()) return key;
  return key + "/" + rel;
}

// Regular files below `root` (or `root` itself), never through a link. With `empty_folders`, also
// the folders below `root` that hold nothing at all (relative, '/'-separated): a blob store has
// no folders, so each one needs a marker to survive a copy.
std::vector<StoredFile> LocalFiles(const fs::path& root,
                                   std::vector<std::string>* empty_folders = nullptr) {
  std::vector<StoredFile> out;
  std::error_code ec;
  auto st = fs::symlink_status(root, ec);
  if (ec) return out;
  auto mtime = [](const fs::path& p) {
    struct stat s {};
    if (::lstat(p.c_str(), &s) != 0) return std::int64_t{0};
    return static_cast<std::int64_t>(s.st_mtim.tv_sec) * 1000 + s.st_mtim.tv_nsec / 1000000;
  };
  if (fs::is_regular_file(st)) {
    out.push_back({"", static_cast<std::int64_t>(fs::file_size(root, ec)), mtime(root)});
    return out;
  }
  if (!fs::is_directory(st)) return out;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code fec;
    auto fst = it->symlink_status(fec);
    if (fec) continue;
    bool empty_folder =
        empty_folders != nullptr && fs::is_directory(fst) && fs::is_empty(it->path(), fec) && !fec;
    if (!fs::is_regular_file(fst) && !empty_folder) continue;
    std::string rel = it->path().lexically_relative(root).generic_string();
    if (rel.rfind(".incoming-", 0) == 0) continue;  // an upload being unpacked
    if (empty_folder) {
      empty_folders->push_back(std::move(rel));
      continue;
    }
    out.push_back({rel, static_cast<std::int64_t>(it->file_size(fec)), mtime(it->path())});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.rel < b.rel; });
  if (empty_folders != nullptr) std::sort(empty_folders->begin(), empty_folders->end());
  return out;
}

// Files below `at` in its store; with `folders`, also the folders a marker keeps (relative to
// `at`, "" for `at` itself).
StatusOr<std::vector<StoredFile>> BlobFiles(const DatastoreLocation& at,
                                            std::vector<std::string>* folders = nullptr) {
  std::vector<StoredFile> out;
  if (!at.key.empty()) {
    auto st = at.blobs->Stat(at.key);
    if (st.ok()) {
      out.push_back({"", st->size, st->mtime_ms});
      return out;
    }
    if (st.status().code() != ErrorCode::kResourceDoesNotExist) return st.status();
  }
  artifacts::ListOptions o;
  o.prefix = at.key.empty() ? "" : at.key + "/";
  do {
    ASSIGN_OR_RETURN(artifacts::BlobPage page, at.blobs->List(o));
    for (const auto& b : page.blobs) {
      if (IsFolderMarker(b.key)) {
        if (folders != nullptr) {
          std::string rel = b.key.substr(o.prefix.size());
          rel.resize(rel.size() - std::strlen(kFolderMarker));
          if (!rel.empty()) rel.pop_back();  // the '/' before the marker
          folders->push_back(std::move(rel));
        }
        continue;
      }
      out.push_back({b.key.substr(o.prefix.size()), b.size, b.mtime_ms});
    }
    o.page_token = page.next_page_token;
  } while (!o.page_token.empty());
  return out;
}

// Streams `reader` into the local file `dest` (written beside it, then renamed into place).
Status WriteLocal(artifacts::BlobReader& reader, const fs::path& dest) {
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec)
    return Internal(fmt::format("cannot create {}: {}", dest.parent_path().string(), ec.message()));
  fs::path tmp = dest.parent_path() / (".part-" + dest.filename().string());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return Internal(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
  std::vector<char> buf(1 << 20);
  Status st = Status::Ok();
  for (;;) {
    auto n = reader.Read(buf.data(), buf.size());
    if (!n.ok()) {
      st = n.status();
      break;
    }
    if (*n == 0) break;
    std::size_t off = 0;
    while (off < *n) {
      ssize_t w = ::write(fd, buf.data() + off, *n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        st = Internal(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
        break;
      }
      off += static_cast<std::size_t>(w);
    }
    if (!st.ok()) break;
  }
  ::close(fd);
  if (st.ok()) {
    fs::rename(tmp, dest, ec);
    if (ec) st = Internal(fmt::format("cannot write {}: {}", dest.string(), ec.message()));
  }
  if (!st.ok()) fs::remove(tmp, ec);
  return st;
}

}  // namespace

StatusOr<PathKind> StatPath(const DatastoreLocation& at) {
  if (!at.remote()) {
    std::error_code ec;
    auto st = fs::status(at.local_path, ec);
    if (ec || !fs::exists(st)) return PathKind::kMissing;
    return fs::is_directory(st) ? PathKind::kFolder : PathKind::kFile;
  }
  if (!at.key.empty()) {
    auto st = at.blobs->Stat(at.key);
    if (st.ok()) return PathKind::kFile;
    if (st.status().code() != ErrorCode::kResourceDoesNotExist) return st.status();
  }
  artifacts::ListOptions o;
  o.prefix = at.key.empty() ? "" : at.key + "/";
  o.max_keys = 10;
  do {  // pages may come short (e.g. only folder markers a store leaves out)
    ASSIGN_OR_RETURN(artifacts::BlobPage page, at.blobs->List(o));
    if (!page.blobs.empty()) return PathKind::kFolder;
    o.page_token = page.next_page_token;
  } while (!o.page_token.empty());
  return PathKind::kMissing;
}

StatusOr<std::vector<StoredFile>> ListFiles(const DatastoreLocation& at) {
  if (!at.remote()) return LocalFiles(at.local_path);
  return BlobFiles(at);
}

Status DownloadPath(const DatastoreLocation& at, const std::string& dest) {
  if (!at.remote()) {
    ASSIGN_OR_RETURN(PathKind kind, StatPath(at));
    if (kind == PathKind::kMissing) return NotFound("nothing at " + at.local_path);
    std::error_code ec;
    if (kind == PathKind::kFolder) fs::create_directories(dest, ec);
    fs::copy(at.local_path, dest,
             fs::copy_options::recursive | fs::copy_options::skip_symlinks |
                 fs::copy_options::overwrite_existing,
             ec);
    if (ec) return Internal(fmt::format("cannot copy {}: {}", at.local_path, ec.message()));
    return Status::Ok();
  }
  std::vector<std::string> folders;
  ASSIGN_OR_RETURN(std::vector<StoredFile> files, BlobFiles(at, &folders));
  std::error_code ec;
  if (files.empty()) {
    // Only a folder marker there: an empty folder.
    ASSIGN_OR_RETURN(PathKind kind, StatPath(at));
    if (kind == PathKind::kMissing) return NotFound(fmt::format("'{}' does not exist", at.key));
    fs::create_directories(dest, ec);
    if (ec) return Internal(fmt::format("cannot create {}: {}", dest, ec.message()));
    return Status::Ok();
  }
  fs::create_directories(
      files.size() == 1 && files[0].rel.empty() ? fs::path(dest).parent_path() : fs::path(dest),
      ec);
  for (const auto& f : files) {
    RETURN_IF_ERROR(artifacts::ValidateArtifactPath(f.rel));
    ASSIGN_OR_RETURN(auto reader, at.blobs->Get(Join(at.key, f.rel)));
    RETURN_IF_ERROR(WriteLocal(*reader, f.rel.empty() ? fs::path(dest) : fs::path(dest) / f.rel));
  }
  for (const auto& rel : folders) {  // empty subfolders their markers keep
    if (rel.empty()) continue;
    RETURN_IF_ERROR(artifacts::ValidateArtifactPath(rel));
    fs::create_directories(fs::path(dest) / rel, ec);
    if (ec) return Internal(fmt::format("cannot create {}: {}", dest, ec.message()));
  }
  return Status::Ok();
}

StatusOr<std::int64_t> UploadPath(const std::string& src, const DatastoreLocation& at) {
  std::vector<std::string> empty_folders;
  std::vector<StoredFile> files = LocalFiles(src, &empty_folders);
  std::int64_t bytes = 0;
  if (!at.remote()) {
    std::error_code ec;
    for (const auto& f : files) {
      fs::path to = f.rel.empty() ? fs::path(at.local_path) : fs::path(at.local_path) / f.rel;
      fs::create_directories(to.parent_path(), ec);
      fs::copy_file(f.rel.empty() ? fs::path(src) : fs::path(src) / f.rel, to,
                    fs::copy_options::overwrite_existing, ec);
      if (ec) return Internal(fmt::format("cannot copy to {}: {}", to.string(), ec.message()));
      bytes += f.size;
    }
    if (files.empty() && fs::is_directory(src, ec)) fs::create_directories(at.local_path, ec);
    for (const auto& rel : empty_folders) {
      fs::create_directories(fs::path(at.local_path) / rel, ec);
      if (ec)
        return Internal(fmt::format("cannot create {}/{}: {}", at.local_path, rel, ec.message()));
    }
    return bytes;
  }
  for (const auto& f : files) {
    ASSIGN_OR_RETURN(auto reader, artifacts::OpenFileReader(
                                      f.rel.empty() ? src : (fs::path(src) / f.rel).string()));
    RETURN_IF_ERROR(at.blobs->Put(Join(at.key, f.rel), *reader));
    bytes += f.size;
  }
  std::error_code ec;
  if (files.empty() && fs::is_directory(fs::symlink_status(src, ec))) {
    RETURN_IF_ERROR(at.blobs->Put(Join(at.key, kFolderMarker), *artifacts::StringReader("")));
  }
  for (const auto& rel : empty_folders) {
    RETURN_IF_ERROR(
        at.blobs->Put(Join(Join(at.key, rel), kFolderMarker), *artifacts::StringReader("")));
  }
  return bytes;
}

Status DeletePath(const DatastoreLocation& at) {
  if (!at.remote()) {
    std::error_code ec;
    fs::remove_all(at.local_path, ec);
    if (ec) return Internal(fmt::format("cannot delete {}: {}", at.local_path, ec.message()));
    return Status::Ok();
  }
  if (at.key.empty()) return InvalidArgument("refusing to delete a whole datastore");
  Status st = at.blobs->Delete(at.key);
  if (!st.ok() && st.code() != ErrorCode::kResourceDoesNotExist) return st;
  return at.blobs->DeletePrefix(at.key + "/").status();
}

bool IsFolderMarker(const std::string& rel) {
  const std::string marker = kFolderMarker;
  if (rel.size() < marker.size() || rel.compare(rel.size() - marker.size(), marker.size(), marker))
    return false;
  return rel.size() == marker.size() || rel[rel.size() - marker.size() - 1] == '/';
}

std::string UploadMarkerKey(const std::string& upload_key) {
  const std::string folder = "/LocalUpload/";
  std::size_t at = upload_key.rfind(folder);
  if (at == std::string::npos) return upload_key + ".complete";
  return upload_key.substr(0, at) + "/.mlws-uploads/" + upload_key.substr(at + folder.size());
}

}  // namespace mlws::assets
