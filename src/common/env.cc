// The real Env (see env.h) and WriteFileAtomic.
#include "mlws/common/env.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace mlws {

namespace {

class PosixFile final : public WritableFile {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { (void)Close(); }

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return FileError("writing " + path_, errno);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (::fsync(fd_) != 0) return FileError("syncing " + path_, errno);
    return Status::Ok();
  }
  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return FileError("closing " + path_, errno);
    return Status::Ok();
  }

 private:
  int fd_;
  std::string path_;
};

// Opens `path` read-only (plus `flags`), runs `sync` (fsync or syncfs) on it, closes it.
Status OpenAndSync(const std::string& path, int flags, int (*sync)(int), const std::string& what) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) return FileError("opening " + path, errno);
  int rc = sync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return FileError(what, err);
  return Status::Ok();
}

class PosixEnv final : public Env {
 public:
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                          mode_t mode) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) return FileError("creating " + path, errno);
    return std::unique_ptr<WritableFile>(std::make_unique<PosixFile>(fd, path));
  }
  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return FileError("renaming " + from, errno);
    return Status::Ok();
  }
  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return FileError("removing " + path, errno);
    return Status::Ok();
  }
  Status SyncDir(const std::string& dir) override {
    return OpenAndSync(dir, O_DIRECTORY, ::fsync, "syncing " + dir);
  }
  Status SyncFilesystem(const std::string& path) override {
    return OpenAndSync(path, 0, ::syncfs, "syncing the filesystem of " + path);
  }
  std::int64_t NowMillis() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::int64_t MonotonicMillis() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                        const SpawnOptions& options) override {
    if (argv.empty()) return InvalidArgument("nothing to run");
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (options.fd3 >= 0) {
      posix_spawn_file_actions_adddup2(&fa, options.fd3, 3);  // dup2 clears FD_CLOEXEC on fd 3
    }
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    if (options.new_session) {
      sigset_t none, all;
      sigemptyset(&none);
      sigfillset(&all);
      sigdelset(&all, SIGKILL);
      sigdelset(&all, SIGSTOP);
      posix_spawnattr_setsigmask(&attr, &none);
      posix_spawnattr_setsigdefault(&attr, &all);
      posix_spawnattr_setflags(&attr,
                               POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    }
    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, args[0], &fa, &attr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) return Internal("cannot run " + argv[0] + ": " + strerror(rc));
    return pid;
  }
};

std::atomic<std::uint64_t> g_tmp_seq{0};

}  // namespace

Status FileError(const std::string& what, int err) {
  if (err == ENOSPC || err == EDQUOT) {
    return Status(ErrorCode::kTemporarilyUnavailable,
                  what + ": no space left on device (nothing was stored)");
  }
  return Internal(what + ": " + strerror(err));
}

Env* Env::Default() {
  static Env* env = new PosixEnv();  // never deleted: used until exit
  return env;
}

Status WriteFileAtomic(Env& env, const std::string& path, std::string_view data, mode_t mode,
                       bool sync) {
  std::string tmp =
      path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(g_tmp_seq.fetch_add(1));
  auto written = [&]() -> Status {
    ASSIGN_OR_RETURN(auto f, env.NewWritableFile(tmp, mode));
    RETURN_IF_ERROR(f->Append(data));
    if (sync) RETURN_IF_ERROR(f->Sync());
    return f->Close();
  }();
  if (written.ok()) written = env.Rename(tmp, path);
  if (!written.ok()) {
    (void)env.Remove(tmp);
    return written;
  }
  if (!sync) return Status::Ok();
  std::string dir = std::filesystem::path(path).parent_path().string();
  return env.SyncDir(dir.empty() ? "." : dir);
}

}  // namespace mlws
