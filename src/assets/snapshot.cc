// Snapshots: content hashing of local files/folders and their tar+zstd transport (libarchive).
#include "mlws/assets/snapshot.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <vector>

#include "mlws/common/sha256.h"
#include "mlws/common/strings.h"

namespace mlws::assets {

namespace {

namespace fs = std::filesystem;

struct FileEntry {
  std::string rel;  // '/'-separated
  fs::path abs;
  std::int64_t size = 0;
};

StatusOr<std::string> HashFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Internal("cannot read " + p.string());
  Sha256 h;
  std::array<char, 1 << 16> buf;
  while (in) {
    in.read(buf.data(), buf.size());
    h.Update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return Internal("cannot read " + p.string());
  return h.HexDigest();
}

// Every regular file under `root` (or `root` itself), sorted by relative path.
StatusOr<std::vector<FileEntry>> Collect(const std::string& local_path) {
  std::error_code ec;
  fs::path root(local_path);
  auto st = fs::symlink_status(root, ec);
  if (ec || !fs::exists(st)) return NotFound("no such file or folder: " + local_path);
  std::vector<FileEntry> out;
  if (fs::is_regular_file(st)) {
    out.push_back({root.filename().string(), root, static_cast<std::int64_t>(fs::file_size(root))});
    return out;
  }
  if (!fs::is_directory(st)) {
    return InvalidArgument(local_path + " is neither a regular file nor a folder");
  }
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    auto s = it->symlink_status(ec);
    if (ec) break;
    if (fs::is_directory(s)) continue;
    std::string rel = fs::relative(it->path(), root, ec).generic_string();
    if (fs::is_symlink(s)) {
      return InvalidArgument(
          fmt::format("{}: symbolic links are not uploaded (found {})", local_path, rel));
    }
    if (!fs::is_regular_file(s)) {
      return InvalidArgument(fmt::format("{}: {} is not a regular file", local_path, rel));
    }
    out.push_back({rel, it->path(), static_cast<std::int64_t>(fs::file_size(it->path(), ec))});
  }
  if (ec) return Internal(fmt::format("cannot list {}: {}", local_path, ec.message()));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.rel < b.rel; });
  return out;
}

// One file's entry in the manifest.
struct FileDigest {
  std::string rel;
  std::int64_t size = 0;
  std::string sha256;
};

// The content hash: sha256 over "<path>\0<size>\0<sha256>\n" of every file, sorted by path.
SnapshotInfo ManifestHash(std::vector<FileDigest> files) {
  std::sort(files.begin(), files.end(),
            [](const FileDigest& a, const FileDigest& b) { return a.rel < b.rel; });
  Sha256 manifest;
  SnapshotInfo info;
  for (const auto& f : files) {
    manifest.Update(f.rel);
    manifest.Update(std::string_view("\0", 1));
    manifest.Update(std::to_string(f.size));
    manifest.Update(std::string_view("\0", 1));
    manifest.Update(f.sha256);
    manifest.Update("\n");
    info.files += 1;
    info.bytes += f.size;
  }
  info.hash = manifest.HexDigest();
  return info;
}

StatusOr<SnapshotInfo> HashEntries(const std::vector<FileEntry>& files) {
  std::vector<FileDigest> digests;
  for (const auto& f : files) {
    ASSIGN_OR_RETURN(std::string h, HashFile(f.abs));
    digests.push_back({f.rel, f.size, std::move(h)});
  }
  return ManifestHash(std::move(digests));
}

struct ArchiveWriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ArchiveReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

Status ArchiveError(archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return InvalidArgument(fmt::format("{}: {}", what, msg != nullptr ? msg : "archive error"));
}

}  // namespace

bool IsContentHash(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

StatusOr<SnapshotInfo> HashLocalPath(const std::string& local_path) {
  ASSIGN_OR_RETURN(auto files, Collect(local_path));
  return HashEntries(files);
}

StatusOr<SnapshotInfo> PackSnapshot(
    const std::string& local_path, const std::string& archive_path,
    const std::function<void(std::int64_t, std::int64_t)>& progress) {
  ASSIGN_OR_RETURN(auto files, Collect(local_path));
  std::int64_t total = 0;
  for (const auto& f : files) total += f.size;
  std::vector<FileDigest> digests;  // computed while archiving: every file is read once
  std::unique_ptr<archive, ArchiveWriteDeleter> a(archive_write_new());
  archive_write_add_filter_zstd(a.get());
  archive_write_set_format_pax_restricted(a.get());
  if (archive_write_open_filename(a.get(), archive_path.c_str()) != ARCHIVE_OK) {
    return ArchiveError(a.get(), "cannot create " + archive_path);
  }
  std::int64_t done = 0;
  std::vector<char> buf(1 << 16);
  for (const auto& f : files) {
    std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), f.rel.c_str());
    archive_entry_set_size(e.get(), f.size);
    archive_entry_set_filetype(e.get(), AE_IFREG);
    std::error_code ec;
    auto perms = fs::status(f.abs, ec).permissions();
    bool exec = (perms & fs::perms::owner_exec) != fs::perms::none;
    archive_entry_set_perm(e.get(), exec ? 0755 : 0644);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) {
      return ArchiveError(a.get(), "cannot add " + f.rel);
    }
    std::ifstream in(f.abs, std::ios::binary);
    Sha256 h;
    std::int64_t size = 0;
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      auto n = in.gcount();
      if (n > 0 && archive_write_data(a.get(), buf.data(), static_cast<size_t>(n)) < 0) {
        return ArchiveError(a.get(), "cannot add " + f.rel);
      }
      h.Update(buf.data(), static_cast<size_t>(n));
      size += n;
      done += n;
      if (progress) progress(done, total);
    }
    if (in.bad() || size != f.size) {
      return Status(ErrorCode::kResourceConflict, f.rel + " changed while it was being packed");
    }
    digests.push_back({f.rel, size, h.HexDigest()});
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return ArchiveError(a.get(), "cannot finish " + archive_path);
  }
  return ManifestHash(std::move(digests));
}

StatusOr<SnapshotInfo> UnpackSnapshot(const std::string& archive_path, const std::string& dest,
                                      std::int64_t max_files, std::int64_t max_bytes) {
  std::error_code ec;
  if (fs::exists(dest, ec)) return Internal("unpack destination exists: " + dest);
  fs::create_directories(dest, ec);
  if (ec) return Internal(fmt::format("cannot create {}: {}", dest, ec.message()));
  auto fail = [&](Status st) {
    std::error_code rm;
    fs::remove_all(dest, rm);
    return st;
  };
  std::unique_ptr<archive, ArchiveReadDeleter> a(archive_read_new());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_filter_none(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), archive_path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return fail(ArchiveError(a.get(), "not a tar+zstd archive"));
  }
  std::int64_t files = 0;
  std::int64_t bytes = 0;
  std::vector<char> buf(1 << 16);
  std::vector<FileDigest> digests;  // computed while writing: nothing is read back
  std::set<std::string> seen;
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK) return fail(ArchiveError(a.get(), "corrupt archive"));
    const char* name = archive_entry_pathname(e);
    std::string rel = name != nullptr ? name : "";
    auto type = archive_entry_filetype(e);
    if (type == AE_IFDIR) continue;
    if (type != AE_IFREG) {
      return fail(InvalidArgument("archive entry '" + rel + "' is not a regular file"));
    }
    fs::path p(rel);
    bool bad =
        rel.empty() || p.is_absolute() || rel.find('\\') != std::string::npos || !IsValidUtf8(rel);
    for (const auto& part : p) {
      if (part == "..") bad = true;
    }
    // "./a" is "a" (common in tar files); nothing may name the folder itself.
    p = p.lexically_normal();
    if (p.empty() || p == "." || p.filename().empty()) bad = true;
    if (bad) return fail(InvalidArgument("archive entry has an unsafe path: '" + rel + "'"));
    if (!seen.insert(p.lexically_normal().generic_string()).second) {
      return fail(InvalidArgument("archive holds '" + rel + "' twice"));
    }
    if (++files > max_files) {
      return fail(InvalidArgument(fmt::format("archive has more than {} files", max_files)));
    }
    fs::path out = fs::path(dest) / p;
    fs::create_directories(out.parent_path(), ec);
    // Written and fsynced before the caller moves the folder into place: an acknowledged
    // upload survives a crash.
    std::unique_ptr<FILE, int (*)(FILE*)> o(std::fopen(out.c_str(), "wb"), &std::fclose);
    if (!o) return fail(Internal("cannot write " + out.string()));
    Sha256 h;
    std::int64_t size = 0;
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n < 0) return fail(ArchiveError(a.get(), "corrupt archive"));
      if (n == 0) break;
      bytes += n;
      if (bytes > max_bytes) {
        return fail(Status(ErrorCode::kPayloadTooLarge,
                           fmt::format("archive unpacks to more than {} bytes", max_bytes)));
      }
      if (std::fwrite(buf.data(), 1, static_cast<size_t>(n), o.get()) != static_cast<size_t>(n)) {
        return fail(Internal("cannot write " + out.string()));
      }
      h.Update(buf.data(), static_cast<size_t>(n));
      size += n;
    }
    digests.push_back({p.lexically_normal().generic_string(), size, h.HexDigest()});
    if (std::fflush(o.get()) != 0 || ::fsync(fileno(o.get())) != 0) {
      return fail(Internal("cannot write " + out.string()));
    }
    o.reset();
    if ((archive_entry_perm(e) & 0100) != 0) {
      fs::permissions(out, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                      fs::perm_options::add, ec);
    }
  }
  return ManifestHash(std::move(digests));
}

}  // namespace mlws::assets
