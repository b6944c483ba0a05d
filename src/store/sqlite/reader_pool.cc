#include "store/sqlite/reader_pool.h"

namespace mlws::store::sqlite {

namespace {
constexpr size_t kMaxIdle = 16;
}

StatusOr<ReaderPool::Lease> ReaderPool::Borrow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(db));
    }
  }
  ASSIGN_OR_RETURN(auto db, connect_(/*readonly=*/true));
  return Lease(this, std::move(db));
}

void ReaderPool::Return(std::unique_ptr<Db> db) {
  db->ResetAll();
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(db));
}

}  // namespace mlws::store::sqlite
