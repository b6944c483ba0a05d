// StatisticsRefresh (statistics_refresh.h).
#include "store/sqlite/statistics_refresh.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace mlws::store::sqlite {

StatisticsRefresh::~StatisticsRefresh() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    t = std::move(worker_);
  }
  if (t.joinable()) t.join();
}

void StatisticsRefresh::NoteRunsCreated(std::int64_t n) {
  std::thread finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    created_ += n;
    std::int64_t due = std::max(kMinRuns, at_last_ / 5);
    if (running_ || created_ - at_last_ < due) return;
    running_ = true;
    at_last_ = created_;
    finished = std::move(worker_);  // the previous refresh, done (running_ was false)
    worker_ = std::thread([this] { Refresh(); });
  }
  if (finished.joinable()) finished.join();
}

void StatisticsRefresh::Refresh() {
  auto db = connect_(/*readonly=*/false);
  Status st = db.ok() ? (*db)->Exec(kAnalyze) : db.status();
  if (st.ok()) {
    ++refreshes_;
  } else {
    spdlog::warn("refreshing the planner statistics (ANALYZE) failed: {}", st.ToString());
  }
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
}

}  // namespace mlws::store::sqlite
