// FaultEnv (see env.h): the real Env with faults a test asks for.
#include <errno.h>
#include <string.h>

#include "mlws/common/env.h"

namespace mlws {

namespace {

class FaultFile final : public WritableFile {
 public:
  FaultFile(FaultEnv& env, std::unique_ptr<WritableFile> base, std::string path)
      : env_(env), base_(std::move(base)), path_(std::move(path)) {}

  Status Append(std::string_view data) override {
    if (!env_.TakeSpace(static_cast<std::int64_t>(data.size()))) {
      return FileError("writing " + path_, ENOSPC);
    }
    return base_->Append(data);
  }
  Status Sync() override {
    if (env_.syncs_fail()) return FileError("syncing " + path_, EIO);
    return base_->Sync();
  }
  Status Close() override { return base_->Close(); }

 private:
  FaultEnv& env_;
  std::unique_ptr<WritableFile> base_;
  std::string path_;
};

}  // namespace

FaultEnv::FaultEnv(Env* base) : base_(base != nullptr ? base : Env::Default()) {}

void FaultEnv::DiskFullAfter(std::int64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  space_left_ = bytes;
}

bool FaultEnv::TakeSpace(std::int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (space_left_ >= 0) {
    if (n > space_left_) {
      space_left_ = 0;
      return false;
    }
    space_left_ -= n;
  }
  bytes_written_ += n;
  return true;
}

StatusOr<std::unique_ptr<WritableFile>> FaultEnv::NewWritableFile(const std::string& path,
                                                                  mode_t mode) {
  ASSIGN_OR_RETURN(auto f, base_->NewWritableFile(path, mode));
  return std::unique_ptr<WritableFile>(std::make_unique<FaultFile>(*this, std::move(f), path));
}

Status FaultEnv::Rename(const std::string& from, const std::string& to) {
  return base_->Rename(from, to);
}

Status FaultEnv::Remove(const std::string& path) { return base_->Remove(path); }

Status FaultEnv::SyncDir(const std::string& dir) {
  if (fail_syncs_) return FileError("syncing " + dir, EIO);
  return base_->SyncDir(dir);
}

Status FaultEnv::SyncFilesystem(const std::string& path) {
  if (fail_syncs_) return FileError("syncing the filesystem of " + path, EIO);
  return base_->SyncFilesystem(path);
}

std::int64_t FaultEnv::NowMillis() {
  std::int64_t fixed = fixed_wall_ms_;
  return (fixed != 0 ? fixed : base_->NowMillis()) + wall_offset_ms_;
}

std::int64_t FaultEnv::MonotonicMillis() { return base_->MonotonicMillis(); }

Status FaultEnv::CheckWrite(std::string_view path, std::int64_t bytes) {
  if (!TakeSpace(bytes)) return FileError("writing " + std::string(path), ENOSPC);
  return base_->CheckWrite(path, bytes);
}

Status FaultEnv::CheckSync(std::string_view path) {
  if (fail_syncs_) return FileError("syncing " + std::string(path), EIO);
  return base_->CheckSync(path);
}

StatusOr<pid_t> FaultEnv::Spawn(const std::vector<std::string>& argv,
                                const std::vector<std::string>& env, const SpawnOptions& options) {
  if (fail_spawns_) {
    return Internal("cannot run " + (argv.empty() ? std::string("nothing") : argv[0]) + ": " +
                    strerror(EAGAIN));
  }
  return base_->Spawn(argv, env, options);
}

}  // namespace mlws
