// WorkerPool: a fixed number of threads running tasks from a bounded queue.
//
// The HTTP server runs handlers here (they may block on the store's group commit or on file
// I/O) so that its few I/O threads never block. TryPost() never blocks and never queues past
// the capacity: when the queue is full it returns false and the caller answers 503 at once,
// which is the server's backpressure. Thread-safe. Stop() runs the queued tasks, then joins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mlws::http {

struct WorkerPoolStats {
  int threads = 0;
  std::size_t capacity = 0;
  std::size_t queued = 0;      // waiting for a thread
  int busy = 0;                // running a task
  std::uint64_t rejected = 0;  // TryPost() calls refused because the queue was full
};

class WorkerPool {
 public:
  WorkerPool(int threads, std::size_t queue_capacity);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False (and the task is dropped) when the queue holds `queue_capacity` tasks or the pool
  // is stopping.
  bool TryPost(std::function<void()> task);
  WorkerPoolStats Stats() const;
  void Stop();

 private:
  void Run();

  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  int busy_ = 0;                             // guarded by mu_
  std::uint64_t rejected_ = 0;               // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace mlws::http
