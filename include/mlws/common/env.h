// Env: the seam between the server and the operating system for what matters to durability and
// time: creating, writing, syncing, renaming and removing the files the server writes itself
// (blob store files, job files, snapshots), the clock (wall and monotonic), and spawning
// processes. Env::Default() is the real one; FaultEnv (below) wraps it for tests and injects
// faults: failing fsync, a disk that is full after N bytes, a wall clock that jumps.
//
// Errors are values: EIO and the like are Internal (500), ENOSPC is TemporarilyUnavailable (503)
// with "no space left on device" in the message, so a caller can answer 5xx with nothing
// acknowledged. Thread-safe (every implementation here).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mlws/common/status.h"

namespace mlws {

// A file open for writing. Close() (or the destructor) closes it; Sync() is fsync.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

// How Env::Spawn starts a process, beyond its argv and environment.
struct SpawnOptions {
  // Becomes the child's fd 3 (a pipe back to the parent, say); -1 = none. Every other descriptor
  // the parent opened is close-on-exec, so the child inherits only 0-2 and this one.
  int fd3 = -1;
  // The child leads a new session (setsid: its own process group, no controlling terminal) with
  // every signal at its default action and none blocked, as a process supervisor must start.
  bool new_session = false;
};

class Env {
 public:
  virtual ~Env() = default;

  // Creates (or truncates) `path` for writing with `mode`; never follows a symbolic link at
  // `path` itself (O_NOFOLLOW).
  virtual StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                                  mode_t mode) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Removes a file; a missing file is not an error.
  virtual Status Remove(const std::string& path) = 0;
  // fsync of a folder (makes a rename in it durable).
  virtual Status SyncDir(const std::string& dir) = 0;
  // syncfs(2) of the filesystem holding `path`: makes every write to it durable in one call
  // (cheaper than an fsync per file for a batch of small files).
  virtual Status SyncFilesystem(const std::string& path) = 0;

  // Wall clock (ms since the epoch): what users see, schedules' calendars.
  virtual std::int64_t NowMillis() = 0;
  // Monotonic clock (ms since an arbitrary start): durations, leases, timeouts.
  virtual std::int64_t MonotonicMillis() = 0;

  // Starts `argv` with exactly `env` as its environment (posix_spawnp: argv[0] is looked up in
  // PATH unless it holds a '/'); its pid. The caller reaps it. A failure to start (no such
  // program, no memory, no pids left) is Internal, naming argv[0] and the cause.
  virtual StatusOr<pid_t> Spawn(const std::vector<std::string>& argv,
                                const std::vector<std::string>& env,
                                const SpawnOptions& options) = 0;

  // Asked by code that does its own file I/O (SQLite through the VFS shim in
  // store/sqlite/env_vfs.h) before it writes `bytes` to, or fsyncs, the file at `path`: a non-OK
  // Status fails that write or fsync with it, nothing done. The real Env allows every one.
  virtual Status CheckWrite(std::string_view path, std::int64_t bytes) {
    (void)path, (void)bytes;
    return Status::Ok();
  }
  virtual Status CheckSync(std::string_view path) {
    (void)path;
    return Status::Ok();
  }

  // The real operating system. Never deleted.
  static Env* Default();
};

// Writes `data` to `path` atomically and durably: "<path>.tmp-<n>" beside it, fsync, rename over
// `path`, fsync of the folder. On any failure the temp file is removed and `path` keeps what it
// had (or stays absent): never a partial file under `path`. With `sync` false the fsyncs are
// left out (still atomic, not yet durable): for a batch of files made durable at once with
// SyncFilesystem.
Status WriteFileAtomic(Env& env, const std::string& path, std::string_view data, mode_t mode = 0600,
                       bool sync = true);

// An Env for tests: forwards to `base` (default: Env::Default()) except for the faults set.
class FaultEnv final : public Env {
 public:
  explicit FaultEnv(Env* base = nullptr);

  // Every Sync()/SyncDir() from now on fails with EIO (until set back to false).
  void FailSyncs(bool fail) { fail_syncs_ = fail; }
  // After `bytes` more bytes written through this Env, writes fail with ENOSPC (-1 = never).
  void DiskFullAfter(std::int64_t bytes);
  // Moves the wall clock by `ms` (negative: back); the monotonic clock never moves back.
  void JumpWallClock(std::int64_t ms) { wall_offset_ms_ += ms; }
  // Fixes the wall clock at `ms` (0 = follow the base clock again, plus any jumps).
  void SetWallClock(std::int64_t ms) { fixed_wall_ms_ = ms; }
  // Every Spawn() from now on fails with EAGAIN, starting nothing (until set back to false).
  void FailSpawns(bool fail) { fail_spawns_ = fail; }

  std::int64_t bytes_written() const { return bytes_written_; }

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                          mode_t mode) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
  Status SyncFilesystem(const std::string& path) override;
  std::int64_t NowMillis() override;
  std::int64_t MonotonicMillis() override;
  StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                        const SpawnOptions& options) override;
  // Disk full (TakeSpace) and failing fsync (FailSyncs) for files the Env does not write itself.
  Status CheckWrite(std::string_view path, std::int64_t bytes) override;
  Status CheckSync(std::string_view path) override;

  // For FaultEnv's files: takes `n` bytes of the remaining space; false = the disk is full.
  bool TakeSpace(std::int64_t n);
  bool syncs_fail() const { return fail_syncs_; }

 private:
  Env* base_;
  std::atomic<bool> fail_syncs_{false};
  std::atomic<bool> fail_spawns_{false};
  std::atomic<std::int64_t> wall_offset_ms_{0};
  std::atomic<std::int64_t> fixed_wall_ms_{0};
  std::atomic<std::int64_t> bytes_written_{0};
  std::mutex mu_;
  std::int64_t space_left_ = -1;  // guarded by mu_; -1 = unlimited
};

// The Status for an errno from a file operation on `what` (ENOSPC -> TemporarilyUnavailable).
Status FileError(const std::string& what, int err);

}  // namespace mlws
