#include "artifacts/local/local_blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "artifacts/blob_checks.h"
#include "mlws/artifacts/artifact_store.h"
#include "mlws/common/env.h"
#include "mlws/common/ids.h"

namespace mlws::artifacts {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kStaging = ".staging";
constexpr std::size_t kChunk = 1 << 20;

// The one errno -> Status translation of this backend.
Status PosixError(const std::string& what, int err) {
  if (err == ENOENT) return NotFound(what + ": no such blob");
  if (err == ENOSPC || err == EDQUOT) return Internal(what + ": the disk is full");
  return Internal(what + ": " + std::strerror(err));
}

// Writes everything `data` yields to a new file at `dst` and fsyncs it, through `env` (the Env
// seam: tests inject a failing fsync or a full disk). On failure `dst` is removed.
Status WriteNewFile(Env& env, const fs::path& dst, BlobReader& data) {
  auto file = env.NewWritableFile(dst.string(), 0644);
  if (!file.ok()) return file.status();
  std::unique_ptr<char[]> buf(new char[kChunk]);
  Status st;
  while (st.ok()) {
    auto n = data.Read(buf.get(), kChunk);
    if (!n.ok()) {
      st = n.status();
      break;
    }
    if (*n == 0) break;
    st = (*file)->Append(std::string_view(buf.get(), *n));
  }
  if (st.ok()) st = (*file)->Sync();
  Status closed = (*file)->Close();
  if (st.ok()) st = closed;
  if (!st.ok()) (void)env.Remove(dst.string());
  return st;
}

bool IsHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

std::string PartName(int n) {
  char b[16];
  std::snprintf(b, sizeof b, "part-%05d", n);
  return b;
}

class LocalBlobStore final : public BlobStore {
 public:
  LocalBlobStore(fs::path root, Env* env) : root_(std::move(root)), env_(*env) {}

  Status Init() {
    std::error_code ec;
    fs::create_directories(root_ / kStaging, ec);
    if (ec) return Internal("cannot create blob root " + root_.string() + ": " + ec.message());
    root_ = fs::canonical(root_, ec);
    if (ec) return Internal("cannot resolve blob root: " + ec.message());
    // Leftovers of writes interrupted by a crash are garbage.
    for (auto& e : fs::directory_iterator(root_ / kStaging, ec)) fs::remove_all(e.path(), ec);
    return Status::Ok();
  }

  std::string Uri() const override { return "file://" + root_.string(); }
  std::string PreferredStagingDir() const override { return Staging().string(); }

  Status Put(const std::string& key, BlobReader& data) override {
    ASSIGN_OR_RETURN(fs::path dst, ResolveKey(key));
    fs::path tmp = Staging() / NewRunId();
    RETURN_IF_ERROR(WriteNewFile(env_, tmp, data));
    return MoveIntoPlace(tmp, dst, key);
  }

  Status PutFile(const std::string& key, const std::string& staged_file) override {
    ASSIGN_OR_RETURN(fs::path dst, ResolveKey(key));
    fs::path src(staged_file);
    if (src.parent_path() == Staging()) return MoveIntoPlace(src, dst, key);
    ASSIGN_OR_RETURN(auto reader, OpenFileReader(staged_file));
    RETURN_IF_ERROR(Put(key, *reader));
    std::error_code ec;
    fs::remove(src, ec);
    return Status::Ok();
  }

  StatusOr<std::unique_ptr<BlobReader>> Get(const std::string& key, ByteRange range) override {
    ASSIGN_OR_RETURN(fs::path p, ResolveKey(key));
    auto reader = OpenFileReader(p.string(), range.offset, range.length);
    if (reader.ok()) return reader;
    if (reader.status().code() == ErrorCode::kResourceDoesNotExist) {
      return NotFound("blob '" + key + "' does not exist");
    }
    return Status(reader.status().code(), "blob '" + key + "': " + reader.status().message());
  }

  StatusOr<BlobInfo> Stat(const std::string& key) override {
    ASSIGN_OR_RETURN(fs::path p, ResolveKey(key));
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return NotFound("blob '" + key + "' does not exist");
    }
    return BlobInfo{key, st.st_size, st.st_mtim.tv_sec * 1000LL + st.st_mtim.tv_nsec / 1000000};
  }

  StatusOr<BlobPage> List(const ListOptions& o) override {
    RETURN_IF_ERROR(CheckListOptions(o));
    std::string base = o.prefix.substr(0, o.prefix.rfind('/') + 1);  // "" or "a/b/"
    ASSIGN_OR_RETURN(fs::path dir, Resolve(base.empty() ? "" : base.substr(0, base.size() - 1)));
    // Every entry of the page in key order: a blob (false) or a common prefix (true).
    std::map<std::string, std::pair<bool, BlobInfo>> entries;
    std::error_code ec;
    if (fs::is_directory(fs::symlink_status(dir, ec))) {
      if (o.delimited) {
        for (auto& e : fs::directory_iterator(dir, ec)) {
          std::string key = base + e.path().filename().string();
          if (key.rfind(o.prefix, 0) != 0 || IsStaging(key)) continue;
          auto st = e.symlink_status(ec);
          if (fs::is_regular_file(st)) {
            entries[key] = {false, InfoOf(key, e.path())};
          } else if (fs::is_directory(st) && HasBlob(e.path())) {
            entries[key + "/"] = {true, {}};
          }
        }
      } else {
        for (auto it = fs::recursive_directory_iterator(dir, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
          std::string key = base + fs::relative(it->path(), dir, ec).string();
          if (IsStaging(key)) {
            it.disable_recursion_pending();
            continue;
          }
          if (key.rfind(o.prefix, 0) != 0) continue;
          if (fs::is_regular_file(it->symlink_status(ec))) {
            entries[key] = {false, InfoOf(key, it->path())};
          }
        }
      }
    }
    BlobPage page;
    auto it = o.page_token.empty() ? entries.begin() : entries.upper_bound(o.page_token);
    int n = 0;
    for (; it != entries.end() && n < o.max_keys; ++it, ++n) {
      if (it->second.first) {
        page.prefixes.push_back(it->first);
      } else {
        page.blobs.push_back(it->second.second);
      }
    }
    if (it != entries.end()) page.next_page_token = std::prev(it)->first;
    return page;
  }

  Status Delete(const std::string& key) override {
    ASSIGN_OR_RETURN(fs::path p, ResolveKey(key));
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) {
      return NotFound("blob '" + key + "' does not exist");
    }
    if (::unlink(p.c_str()) != 0) return PosixError("delete blob '" + key + "'", errno);
    PruneEmptyParents(p.parent_path());
    return Status::Ok();
  }

  StatusOr<std::int64_t> DeletePrefix(const std::string& prefix) override {
    if (prefix.size() < 2 || prefix.back() != '/') {
      return InvalidArgument("a prefix to delete must be a non-empty folder ending in '/'");
    }
    ASSIGN_OR_RETURN(fs::path p, ResolveKey(prefix.substr(0, prefix.size() - 1)));
    std::error_code ec;
    if (!fs::is_directory(fs::symlink_status(p, ec))) return std::int64_t{0};
    std::int64_t n = 0;
    for (auto it = fs::recursive_directory_iterator(p, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (fs::is_regular_file(it->symlink_status(ec))) ++n;
    }
    fs::remove_all(p, ec);
    if (ec) return Internal("cannot delete '" + prefix + "': " + ec.message());
    PruneEmptyParents(p.parent_path());
    return n;
  }

  StatusOr<std::string> CreateMultipart(const std::string& key) override {
    RETURN_IF_ERROR(ResolveKey(key).status());
    std::string id = NewRunId();
    fs::path dir = Staging() / ("mpu-" + id);
    std::error_code ec;
    fs::create_directory(dir, ec);
    if (ec) return Internal("cannot start an upload: " + ec.message());
    std::ofstream(dir / "key", std::ios::binary) << key;
    return id;
  }

  StatusOr<std::string> UploadPart(const std::string& key, const std::string& upload_id,
                                   int part_number, BlobReader& data) override {
    ASSIGN_OR_RETURN(fs::path dir, UploadDir(key, upload_id));
    if (part_number < 1 || part_number > 10000) {
      return InvalidArgument("part numbers run from 1 to 10000");
    }
    std::string etag = NewRunId();
    fs::path tmp = dir / (PartName(part_number) + ".tmp-" + etag);
    RETURN_IF_ERROR(WriteNewFile(env_, tmp, data));
    std::error_code ec;
    for (auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().filename().string().rfind(PartName(part_number) + ".", 0) == 0 &&
          e.path() != tmp) {
        fs::remove(e.path(), ec);
      }
    }
    fs::rename(tmp, dir / (PartName(part_number) + "." + etag), ec);
    if (ec) return Internal("cannot store part: " + ec.message());
    return etag;
  }

  Status CompleteMultipart(const std::string& key, const std::string& upload_id,
                           const std::vector<CompletedPart>& parts) override {
    ASSIGN_OR_RETURN(fs::path dir, UploadDir(key, upload_id));
    ASSIGN_OR_RETURN(fs::path dst, ResolveKey(key));
    if (parts.empty()) return InvalidArgument("a multipart upload needs at least one part");
    int last = 0;
    for (const auto& part : parts) {
      if (part.part_number <= last) {
        return InvalidArgument("parts must be listed in increasing part-number order");
      }
      last = part.part_number;
      std::error_code ec;
      if (!IsHex(part.etag) ||
          !fs::exists(dir / (PartName(part.part_number) + "." + part.etag), ec)) {
        return InvalidArgument("part " + std::to_string(part.part_number) +
                               " was not uploaded with that ETag");
      }
    }
    fs::path tmp = Staging() / NewRunId();
    {
      ConcatReader all(dir, parts);
      RETURN_IF_ERROR(WriteNewFile(env_, tmp, all));
    }
    RETURN_IF_ERROR(MoveIntoPlace(tmp, dst, key));
    std::error_code ec;
    fs::remove_all(dir, ec);
    return Status::Ok();
  }

  Status AbortMultipart(const std::string& key, const std::string& upload_id) override {
    ASSIGN_OR_RETURN(fs::path dir, UploadDir(key, upload_id));
    std::error_code ec;
    fs::remove_all(dir, ec);
    return Status::Ok();
  }

 private:
  // Reads the listed parts one after another.
  class ConcatReader final : public BlobReader {
   public:
    ConcatReader(fs::path dir, const std::vector<CompletedPart>& parts)
        : dir_(std::move(dir)), parts_(parts) {}
    StatusOr<std::size_t> Read(char* buf, std::size_t cap) override {
      while (next_ <= parts_.size()) {
        if (cur_ == nullptr) {
          if (next_ == parts_.size()) return std::size_t{0};
          const auto& p = parts_[next_++];
          ASSIGN_OR_RETURN(
              cur_, OpenFileReader((dir_ / (PartName(p.part_number) + "." + p.etag)).string()));
        }
        ASSIGN_OR_RETURN(std::size_t n, cur_->Read(buf, cap));
        if (n > 0) return n;
        cur_.reset();
      }
      return std::size_t{0};
    }
    std::optional<std::int64_t> Size() const override { return std::nullopt; }

   private:
    fs::path dir_;
    const std::vector<CompletedPart>& parts_;
    std::size_t next_ = 0;
    std::unique_ptr<BlobReader> cur_;
  };

  fs::path Staging() const { return root_ / kStaging; }

  static bool IsStaging(std::string_view key) {
    return key == kStaging || key.rfind(std::string(kStaging) + "/", 0) == 0;
  }

  static BlobInfo InfoOf(const std::string& key, const fs::path& p) {
    struct stat st {};
    ::lstat(p.c_str(), &st);
    return {key, st.st_size, st.st_mtim.tv_sec * 1000LL + st.st_mtim.tv_nsec / 1000000};
  }

  static bool HasBlob(const fs::path& dir) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (fs::is_regular_file(it->symlink_status(ec))) return true;
    }
    return false;
  }

  StatusOr<fs::path> UploadDir(const std::string& key, const std::string& upload_id) const {
    RETURN_IF_ERROR(ResolveKey(key).status());
    fs::path dir = Staging() / ("mpu-" + upload_id);
    std::error_code ec;
    if (!IsHex(upload_id) || upload_id.size() != 32 || !fs::is_directory(dir, ec)) {
      return NotFound("no multipart upload '" + upload_id + "' in progress");
    }
    std::ifstream in(dir / "key", std::ios::binary);
    std::string owner((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (owner != key) return NotFound("no multipart upload '" + upload_id + "' for '" + key + "'");
    return dir;
  }

  // Renames a complete, fsynced file into place as blob `key` and makes the rename durable.
  Status MoveIntoPlace(const fs::path& tmp, const fs::path& dst, const std::string& key) {
    std::error_code ec;
    Status st;
    if (fs::is_directory(fs::symlink_status(dst, ec))) {
      st = InvalidArgument("'" + key + "' is a folder; cannot overwrite it with a file");
    } else {
      fs::create_directories(dst.parent_path(), ec);
      // A parent created here must still resolve inside the root (no symlink swapped in).
      if (ec) {
        st = InvalidArgument("cannot create the folder of '" + key + "': " + ec.message());
      } else if (auto again = ResolveKey(key); !again.ok()) {
        st = again.status();
      } else {
        st = env_.Rename(tmp.string(), dst.string());
      }
    }
    if (!st.ok()) {
      (void)env_.Remove(tmp.string());
      return st;
    }
    return env_.SyncDir(dst.parent_path().string());
  }

  void PruneEmptyParents(fs::path dir) const {
    std::error_code ec;
    while (dir != root_ && dir.string().rfind(root_.string() + "/", 0) == 0 &&
           fs::is_empty(dir, ec) && !ec) {
      if (!fs::remove(dir, ec)) break;
      dir = dir.parent_path();
    }
  }

  StatusOr<fs::path> ResolveKey(const std::string& key) const {
    if (key.empty() || key.back() == '/') return InvalidArgument("a blob key needs a file name");
    if (IsStaging(key)) return InvalidArgument("'" + key + "' is reserved");
    return Resolve(key);
  }

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
    if (ec) return InvalidArgument("invalid path '" + path + "'");
    auto rs = real.string(), root = root_.string();
    if (rs != root && rs.rfind(root + "/", 0) != 0) {
      return InvalidArgument("path '" + path + "' escapes the store's root");
    }
    return p;
  }

  fs::path root_;
  Env& env_;
};

}  // namespace

StatusOr<std::unique_ptr<BlobStore>> OpenLocalBlobStore(const std::string& root, Env* env) {
  if (root.empty() || root.front() != '/') {
    return InvalidArgument("a local blob store needs an absolute path: file:///abs/path");
  }
  auto store = std::make_unique<LocalBlobStore>(root, env != nullptr ? env : Env::Default());
  RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<BlobStore>(std::move(store));
}

}  // namespace mlws::artifacts
