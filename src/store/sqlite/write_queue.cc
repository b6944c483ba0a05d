#include "store/sqlite/write_queue.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace mlws::store::sqlite {

WriteQueue::WriteQueue(std::unique_ptr<Db> db, std::function<void()> on_rollback)
    : db_(std::move(db)), on_rollback_(std::move(on_rollback)) {
  thread_ = std::thread([this] { Loop(); });
}

WriteQueue::~WriteQueue() { Stop(); }

void WriteQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status WriteQueue::Submit(Task task) {
  auto p = std::make_shared<Pending>();
  p->task = std::move(task);
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) {
    return Status(ErrorCode::kTemporarilyUnavailable, "the store is shutting down");
  }
  if (limit_ > 0 && queue_.size() >= limit_) {
    ++rejected_;
    return Status(ErrorCode::kTemporarilyUnavailable,
                  "the server is busy: " + std::to_string(queue_.size()) +
                      " writes are waiting for the store (--store-write-queue); retry");
  }
  queue_.push_back(p);
  work_cv_.notify_one();
  p->cv.wait(lock, [&] { return p->done; });
  return p->result;
}

void WriteQueue::SubmitAsync(Task task) {
  auto p = std::make_shared<Pending>();
  p->task = std::move(task);
  p->async = true;
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {
    spdlog::error("write dropped: the store is shutting down");
    return;
  }
  queue_.push_back(p);
  work_cv_.notify_one();
}

void WriteQueue::SetLimit(std::size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  limit_ = limit;
}

WriteQueue::Stats WriteQueue::GetStats() {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{queue_.size(), limit_, rejected_, groups_};
}

void WriteQueue::Loop() {
  for (;;) {
    std::deque<std::shared_ptr<Pending>> group;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      group.swap(queue_);
    }
    double secs = RunGroup(group);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& p : group) p->done = true;
      CountGroup(group.size(), secs);
    }
    // Woken after the lock is released, so a caller does not wake only to block on mu_ again
    // (the group keeps every Pending, and its cv, alive meanwhile).
    for (auto& p : group) {
      if (p->async) {
        if (!p->result.ok()) spdlog::error("background write failed: {}", p->result.ToString());
      } else {
        p->cv.notify_one();
      }
    }
  }
}

void WriteQueue::CountGroup(std::size_t size, double seconds) {
  const auto& bounds = WriteGroupStats::kBounds;
  std::size_t i = 0;
  while (i < bounds.size() && size > bounds[i]) ++i;
  ++groups_.group_sizes[i];
  ++groups_.groups;
  groups_.grouped_writes += size;
  groups_.commit_seconds += seconds;
}

Status WriteQueue::Control(const char* sql) {
  // SQLite: prepared once (sqlite3_exec would parse BEGIN and COMMIT again for every group).
  if (db_->dialect() != Dialect::kSqlite) return db_->Exec(sql);
  ASSIGN_OR_RETURN(Stmt * s, db_->Cached(sql));
  Status st = s->Run();
  s->Reset();
  return st;
}

double WriteQueue::RunGroup(std::deque<std::shared_ptr<Pending>>& group) {
  Status begin = Control("BEGIN IMMEDIATE");
  if (!begin.ok()) {
    spdlog::error("cannot begin a write transaction: {}", begin.ToString());
    for (auto& p : group) p->result = begin;
    return 0;
  }
  // Savepoint statements are prepared once: sqlite3_exec would re-parse them for every write.
  auto run = [this](const char* sql) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db_->Cached(sql));
    Status st = s->Run();
    s->Reset();
    return st;
  };
  for (auto& p : group) {
    Status st = run("SAVEPOINT w");
    if (st.ok()) st = p->task(*db_);
    if (st.ok()) {
      st = run("RELEASE w");
    } else {
      (void)run("ROLLBACK TO w");
      (void)run("RELEASE w");
      if (on_rollback_) on_rollback_();
    }
    p->result = st;
  }
  db_->ResetAll();
  auto t0 = std::chrono::steady_clock::now();
  Status commit = Control("COMMIT");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!commit.ok()) {
    spdlog::error("group commit of {} writes failed: {}", group.size(), commit.ToString());
    (void)db_->Exec("ROLLBACK");
    if (on_rollback_) on_rollback_();
    for (auto& p : group) {
      if (p->result.ok()) p->result = commit;
    }
  }
  return secs;
}

}  // namespace mlws::store::sqlite
