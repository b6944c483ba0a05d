// The in-memory and local-file readers, ReadAll, and the shared argument checks.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "artifacts/blob_checks.h"
#include "mlws/artifacts/artifact_store.h"
#include "mlws/artifacts/blob_store.h"

namespace mlws::artifacts {

namespace {

class StringBlobReader final : public BlobReader {
 public:
  explicit StringBlobReader(std::string data) : data_(std::move(data)) {}
  StatusOr<std::size_t> Read(char* buf, std::size_t cap) override {
    std::size_t n = std::min(cap, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  std::optional<std::int64_t> Size() const override {
    return static_cast<std::int64_t>(data_.size());
  }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

class FileReader final : public BlobReader {
 public:
  FileReader(int fd, std::int64_t offset, std::int64_t length)
      : fd_(fd), pos_(offset), left_(length) {}
  ~FileReader() override { ::close(fd_); }
  StatusOr<std::size_t> Read(char* buf, std::size_t cap) override {
    if (left_ <= 0) return std::size_t{0};
    std::size_t want = std::min<std::size_t>(cap, static_cast<std::size_t>(left_));
    while (true) {
      ssize_t n = ::pread(fd_, buf, want, pos_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Internal(std::string("read failed: ") + std::strerror(errno));
      if (n == 0) return Internal("the file shrank while it was read");
      pos_ += n;
      left_ -= n;
      return static_cast<std::size_t>(n);
    }
  }
  std::optional<std::int64_t> Size() const override { return left_; }

 private:
  int fd_;
  std::int64_t pos_;
  std::int64_t left_;
};

}  // namespace

StatusOr<std::unique_ptr<BlobReader>> OpenFileReader(const std::string& path, std::int64_t offset,
                                                     std::optional<std::int64_t> length) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EISDIR) {
      return NotFound("no such file");
    }
    return Internal(std::string("cannot open: ") + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return NotFound("no such file");
  }
  std::int64_t size = st.st_size;
  if (offset < 0 || (offset > 0 && offset >= size) || (length && *length < 0)) {
    ::close(fd);
    return InvalidArgument("range starting at " + std::to_string(offset) + " is outside the " +
                           std::to_string(size) + " bytes");
  }
  std::int64_t len = size - offset;
  if (length) len = std::min(len, *length);
  return std::unique_ptr<BlobReader>(std::make_unique<FileReader>(fd, offset, len));
}

std::unique_ptr<BlobReader> StringReader(std::string data) {
  return std::make_unique<StringBlobReader>(std::move(data));
}

Status CheckListOptions(const ListOptions& o) {
  if (o.max_keys < 1 || o.max_keys > 1000) {
    return InvalidArgument("max_keys must be between 1 and 1000");
  }
  std::string_view trimmed = o.prefix;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
  RETURN_IF_ERROR(ValidateArtifactPath(trimmed));
  if (trimmed.size() + 1 < o.prefix.size()) return InvalidArgument("empty path segment");
  return Status::Ok();
}

StatusOr<std::string> ReadAll(BlobReader& reader, std::size_t max_bytes) {
  std::string out;
  char buf[64 * 1024];
  while (true) {
    ASSIGN_OR_RETURN(std::size_t n, reader.Read(buf, sizeof buf));
    if (n == 0) return out;
    if (out.size() + n > max_bytes) {
      return InvalidArgument("blob is larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, n);
  }
}

}  // namespace mlws::artifacts
