// ReaderPool: read-only connections (SQLite or PostgreSQL) handed out one per borrowing thread.
// Thread-safe. A borrowed connection is returned (and its statements reset) when the Lease dies.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite/db.h"

namespace mlws::store::sqlite {

// Opens one connection to the store's database; `readonly` ones refuse writes.
using Connector = std::function<StatusOr<std::unique_ptr<Db>>(bool readonly)>;

class ReaderPool {
 public:
  explicit ReaderPool(Connector connect) : connect_(std::move(connect)) {}

  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Db> db) : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (db_) pool_->Return(std::move(db_));
    }
    Db& db() { return *db_; }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Db> db_;
  };

  StatusOr<Lease> Borrow();

 private:
  void Return(std::unique_ptr<Db> db);

  Connector connect_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Db>> idle_;  // guarded by mu_
};

}  // namespace mlws::store::sqlite
