// WriteQueue: group commit for the SQLite store.
//
// One writer thread owns the write connection. Callers Submit() a write task and block until it
// is committed. The writer takes every task queued so far, runs them in ONE transaction, each in
// its own savepoint (a failing task rolls back only its own changes and gets its own Status), then
// commits once (one WAL fsync for the whole group) and wakes the callers. Under concurrent load
// this turns N fsyncs into one, which is what lets acknowledged writes stay durable and fast.
//
// Backpressure: at most `limit` writes wait for the writer (the group being committed is not
// counted). Submit() past that fails at once with TemporarilyUnavailable (the HTTP layer answers
// 503 with Retry-After) instead of letting every caller's latency grow; SubmitAsync() writes are
// never refused (nobody waits for them) but count in the depth.
//
// Thread-safe. After Stop(), Submit() fails with TemporarilyUnavailable.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "mlws/common/status.h"
#include "mlws/store/write_groups.h"
#include "store/sqlite/db.h"

namespace mlws::store::sqlite {

class WriteQueue {
 public:
  using Task = std::function<Status(Db&)>;

  // `on_rollback` runs on the writer thread whenever any change was rolled back, so callers can
  // drop caches of rows that no longer exist.
  WriteQueue(std::unique_ptr<Db> db, std::function<void()> on_rollback);
  ~WriteQueue();

  // Runs `task` inside the writer's transaction; returns its Status once committed (or the
  // commit error). The task must only touch the Db it is given.
  Status Submit(Task task);
  // Queues `task` for the next group without waiting; its Status is logged if it fails.
  void SubmitAsync(Task task);
  void Stop();
  // 0 = unbounded (the default). May be called at any time.
  void SetLimit(std::size_t limit);
  struct Stats {
    std::size_t depth = 0;       // writes waiting for the writer now
    std::size_t limit = 0;       // 0 = unbounded
    std::uint64_t rejected = 0;  // Submit() calls refused at the limit
    WriteGroupStats groups;      // how the writes were grouped
  };
  Stats GetStats();

 private:
  struct Pending {
    Task task;
    Status result;
    bool done = false;
    bool async = false;
    std::condition_variable cv;  // each caller has its own: no thundering herd on completion
  };
  void Loop();
  // Returns the seconds its COMMIT took.
  double RunGroup(std::deque<std::shared_ptr<Pending>>& group);
  void CountGroup(std::size_t size, double commit_seconds);  // REQUIRES mu_
  // Runs a transaction-control statement (BEGIN, COMMIT).
  Status Control(const char* sql);

  std::unique_ptr<Db> db_;
  std::function<void()> on_rollback_;
  std::mutex mu_;
  std::condition_variable work_cv_;             // writer waits for tasks
  std::deque<std::shared_ptr<Pending>> queue_;  // guarded by mu_
  bool stopping_ = false;                       // guarded by mu_
  std::size_t limit_ = 0;                       // guarded by mu_
  std::uint64_t rejected_ = 0;                  // guarded by mu_
  WriteGroupStats groups_;                      // guarded by mu_
  std::thread thread_;
};

}  // namespace mlws::store::sqlite
