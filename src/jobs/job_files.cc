// What a job left in its folder, read without following links (see job_files.h).
#include "jobs/job_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "jobs/job_service_internal.h"
#include "mlws/common/strings.h"

namespace mlws::jobs {

namespace fs = std::filesystem;

namespace {

bool TokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

constexpr std::string_view kTokenPrefix = "mlws_";
constexpr size_t kTokenBody = 43;

// Printable form of a name for a note: invalid bytes as \xNN.
std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 200)) {
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void Walk(int dir_fd, const std::string& prefix, int depth, std::vector<FoundFile>& out,
          std::vector<std::string>* skipped) {
  DIR* d = fdopendir(dir_fd);
  if (d == nullptr) {
    close(dir_fd);
    return;
  }
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string rel = prefix.empty() ? name : prefix + "/" + name;
    struct stat st;
    if (fstatat(dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      if (skipped) skipped->push_back("symbolic link " + Printable(rel) + " not followed");
      continue;
    }
    if (!PortableName(rel)) {
      if (skipped) skipped->push_back("file name " + Printable(rel) + " is not valid UTF-8");
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      if (depth >= 64) continue;
      int sub = openat(dirfd(d), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) Walk(sub, rel, depth + 1, out, skipped);
    } else if (S_ISREG(st.st_mode)) {
      out.push_back({rel, static_cast<std::int64_t>(st.st_size)});
    }
  }
  closedir(d);
}

}  // namespace

bool PortableName(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string LastLines(const fs::path& log, int lines) {
  auto fd = OpenInside(log.parent_path(), log.filename().string());
  if (!fd.ok()) return "";
  struct stat st;
  std::string tail;
  if (fstat(*fd, &st) == 0) {
    off_t from = st.st_size > 4096 ? st.st_size - 4096 : 0;
    tail.resize(static_cast<size_t>(st.st_size - from));
    ssize_t r = pread(*fd, tail.data(), tail.size(), from);
    tail.resize(r > 0 ? static_cast<size_t>(r) : 0);
  }
  close(*fd);
  while (!tail.empty() && tail.back() == '\n') tail.pop_back();
  size_t pos = tail.size();
  for (int i = 0; i < lines && pos != std::string::npos && pos > 0; ++i) {
    pos = tail.rfind('\n', pos - 1);
  }
  return pos == std::string::npos ? tail : tail.substr(pos + 1);
}

void AppendToLog(const fs::path& log, const std::string& text) {
  int fd = open(log.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  (void)!write(fd, text.data(), text.size());
  close(fd);
}

int BumpCounterFile(const fs::path& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return 0;
  char buf[32] = {0};
  ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
  int n = r > 0 ? std::atoi(buf) : 0;
  std::string next = std::to_string(n + 1) + "\n";
  (void)!ftruncate(fd, 0);
  (void)!pwrite(fd, next.data(), next.size(), 0);
  close(fd);
  return n;
}

void RedactTokens(std::string& data) {
  for (size_t pos = data.find(kTokenPrefix); pos != std::string::npos;
       pos = data.find(kTokenPrefix, pos + 1)) {
    size_t start = pos + kTokenPrefix.size();
    size_t end = start;
    while (end < data.size() && end - start < kTokenBody && TokenChar(data[end])) ++end;
    if (end - start == kTokenBody) {
      std::fill(data.begin() + static_cast<std::ptrdiff_t>(start),
                data.begin() + static_cast<std::ptrdiff_t>(end), '*');
    }
  }
}

size_t SafeChunkEnd(const std::string& data) {
  size_t window = kTokenPrefix.size() + kTokenBody;
  size_t from = data.size() > window ? data.size() - window : 0;
  for (size_t i = from; i < data.size(); ++i) {
    // A suffix that may still grow into a token: a prefix of "mlws_", or "mlws_" + token chars.
    size_t k = 0;
    while (k < kTokenPrefix.size() && i + k < data.size() && data[i + k] == kTokenPrefix[k]) ++k;
    if (i + k == data.size() && k > 0) return i;
    if (k == kTokenPrefix.size()) {
      size_t j = i + k;
      while (j < data.size() && TokenChar(data[j])) ++j;
      if (j == data.size()) return i;
    }
  }
  return data.size();
}

bool IsRealDir(const fs::path& dir) {
  struct stat st;
  return lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

StatusOr<int> OpenInside(const fs::path& root, const std::string& rel) {
  if (!IsRealDir(root)) return NotFound("no such folder");
  int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return NotFound("no such folder");
  std::vector<std::string> parts;
  for (const auto& p : fs::path(rel)) {
    std::string s = p.string();
    if (s.empty() || s == ".") continue;
    if (s == "..") {
      close(fd);
      return NotFound("no such file");
    }
    parts.push_back(s);
  }
  if (parts.empty()) {
    close(fd);
    return NotFound("no such file");
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    bool last = i + 1 == parts.size();
    int next = openat(fd, parts[i].c_str(),
                      O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last ? O_NONBLOCK : O_DIRECTORY));
    close(fd);
    if (next < 0) return NotFound("no such file");
    fd = next;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return NotFound("not a regular file");
  }
  return fd;
}

std::vector<FoundFile> ListRealFiles(const fs::path& root, std::vector<std::string>* skipped) {
  std::vector<FoundFile> out;
  if (!IsRealDir(root)) return out;
  int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) Walk(fd, "", 0, out, skipped);
  return out;
}

namespace {

// Copies an open file into a new staging file; masks tokens when `redact`.
Status CopyFd(int in, const std::string& staged, bool redact) {
  // 0644 like every other artifact (the store, not the job folder, keeps it private).
  int out = open(staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) return Internal("cannot create " + staged + ": " + strerror(errno));
  std::string buf(1 << 16, '\0');
  std::string carry;  // redact: the unfinished tail of the previous block
  Status st = Status::Ok();
  auto write_all = [&](const char* p, size_t n) {
    while (n > 0 && st.ok()) {
      ssize_t w = write(out, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        st = Internal(std::string("write: ") + strerror(errno));
        break;
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
  };
  for (;;) {
    ssize_t r = read(in, buf.data(), buf.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      st = Internal(std::string("read: ") + strerror(errno));
      break;
    }
    if (r == 0) break;
    if (!redact) {
      write_all(buf.data(), static_cast<size_t>(r));
      continue;
    }
    carry.append(buf.data(), static_cast<size_t>(r));
    RedactTokens(carry);
    size_t keep = SafeChunkEnd(carry);
    write_all(carry.data(), keep);
    carry.erase(0, keep);
  }
  if (redact && st.ok()) {
    RedactTokens(carry);
    write_all(carry.data(), carry.size());
  }
  if (st.ok() && fsync(out) != 0) st = Internal(std::string("fsync: ") + strerror(errno));
  close(out);
  return st;
}

}  // namespace

Status CaptureRunFiles(artifacts::ArtifactStore& store, const std::string& artifact_uri,
                       std::int64_t ws_id, const fs::path& job_dir,
                       std::vector<std::string>& notes) {
  constexpr std::string_view kScheme = "mlflow-artifacts:";
  if (artifact_uri.rfind(kScheme, 0) != 0) {
    return InvalidArgument("the run's artifact location " + artifact_uri +
                           " is not served by mlws; files stay in the job folder");
  }
  std::string rest = artifact_uri.substr(kScheme.size());
  while (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
  std::string root = std::to_string(ws_id) + "/" + rest;
  static std::atomic<std::uint64_t> counter{0};
  auto put = [&](const fs::path& base, const std::string& rel, const std::string& dest,
                 bool redact) -> Status {
    ASSIGN_OR_RETURN(int fd, OpenInside(base, rel));
    std::string staged = store.StagingDir() + "/job-" + std::to_string(::getpid()) + "-" +
                         std::to_string(NowMs()) + "-" + std::to_string(counter++);
    Status st = CopyFd(fd, staged, redact);
    close(fd);
    if (st.ok()) st = store.Commit(staged, root + "/" + dest);
    if (!st.ok()) ::unlink(staged.c_str());
    return st;
  };
  fs::path logs = job_dir / "user_logs";
  if (IsRealDir(logs)) {
    Status st = put(logs, "std_log.txt", "user_logs/std_log.txt", true);
    if (!st.ok() && st.code() != ErrorCode::kResourceDoesNotExist) {
      notes.push_back("user_logs/std_log.txt not captured: " + st.message());
    }
  }
  fs::path wd = job_dir / "wd";
  fs::path outputs = wd / "outputs";
  if (!IsRealDir(wd)) return Status::Ok();
  struct stat st;
  if (lstat(outputs.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
    notes.push_back("./outputs is not a folder (e.g. a symbolic link): not captured");
    return Status::Ok();
  }
  std::vector<std::string> skipped;
  auto files = ListRealFiles(outputs, &skipped);
  for (const auto& s : skipped) notes.push_back("outputs: " + s);
  int failed = 0;
  for (const auto& f : files) {
    std::string dest = "outputs/" + f.rel;
    if (!artifacts::ValidateArtifactPath(dest).ok()) {
      notes.push_back("outputs: " + f.rel + " is not a valid artifact path: not captured");
      continue;
    }
    Status s = put(outputs, f.rel, dest, false);
    if (!s.ok() && ++failed <= 20) notes.push_back(dest + " not captured: " + s.message());
  }
  if (failed > 20) notes.push_back(std::to_string(failed - 20) + " more files not captured");
  return Status::Ok();
}

}  // namespace mlws::jobs
