// StatisticsRefresh: keeps PostgreSQL's planner statistics in step with bulk growth. PostgreSQL
// plans a search from its statistics of `runs` and the tables a search joins; autovacuum
// refreshes them at most once a minute and only after 10% growth, so a search right after a
// bulk load (a sweep, an import, a benchmark) can be planned for a nearly empty experiment and
// take several times longer (measured: 24.4 ms with the statistics lagging at 10,000 runs, 6.3 ms
// after ANALYZE). The store counts the runs it creates and, after kMinRuns of them or a fifth
// more than at the last refresh, runs ANALYZE of those tables on a connection of its own, in the
// background, one at a time. SQLite needs nothing (its planner works without statistics), so
// the store makes one only for PostgreSQL. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>

#include "store/sqlite/reader_pool.h"

namespace mlws::store::sqlite {

class StatisticsRefresh {
 public:
  static constexpr std::int64_t kMinRuns = 500;
  // The tables a run search plans over.
  static constexpr const char* kAnalyze = "ANALYZE runs, latest_metrics, params, tags";

  explicit StatisticsRefresh(Connector connect) : connect_(std::move(connect)) {}
  StatisticsRefresh(const StatisticsRefresh&) = delete;
  StatisticsRefresh& operator=(const StatisticsRefresh&) = delete;
  // Waits for a refresh under way.
  ~StatisticsRefresh();

  // `n` runs were created (committed).
  void NoteRunsCreated(std::int64_t n);
  // Refreshes finished so far (for tests).
  std::int64_t refreshes() const { return refreshes_; }

 private:
  void Refresh();

  Connector connect_;
  std::mutex mu_;
  std::thread worker_;        // guarded by mu_
  std::int64_t created_ = 0;  // guarded by mu_: runs created since this store opened
  std::int64_t at_last_ = 0;  // guarded by mu_: created_ when the last refresh started
  bool running_ = false;      // guarded by mu_
  std::atomic<std::int64_t> refreshes_{0};
};

}  // namespace mlws::store::sqlite
