// DbContext: what every per-resource SQL store shares — the writer (the group-commit WriteQueue,
// whose one connection writes for all of them), the ReaderPool, and the writer-thread caches
// (interned metric keys, chunk sequence numbers). SqliteStore owns one and hands a reference to
// each per-resource store, so every resource's writes group-commit together and no resource opens
// connections of its own.
//
// Thread-safety: writes() and readers() are thread-safe. MetricKeyId, NextChunkSeq and
// LoadWriterState touch writer-thread state and must be called only from inside a write task.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "mlws/common/status.h"
#include "store/sqlite/db.h"
#include "store/sqlite/reader_pool.h"
#include "store/sqlite/statistics_refresh.h"
#include "store/sqlite/write_queue.h"

namespace mlws::store::sqlite {

class DbContext {
 public:
  // `writer` is the write connection; `connect` opens the readers (and the migration connection).
  DbContext(Connector connect, std::unique_ptr<Db> writer);
  DbContext(const DbContext&) = delete;
  DbContext& operator=(const DbContext&) = delete;

  const Connector& connector() const { return connect_; }
  WriteQueue& writes() { return writes_; }
  ReaderPool& readers() { return readers_; }

  // Reads this writer's counters (next chunk sequence number, writer number) after migrations.
  Status LoadWriterState(Db& db);
  // Interned id of a metric key.
  StatusOr<std::int64_t> MetricKeyId(Db& db, const std::string& key);
  // A chunk sequence number unique across every writer on the database.
  std::int64_t NextChunkSeq();
  // `n` runs were committed: on PostgreSQL, refreshes the planner statistics after bulk growth
  // (statistics_refresh.h). Any thread.
  void NoteRunsCreated(std::int64_t n) {
    if (stats_) stats_->NoteRunsCreated(n);
  }

 private:
  Dialect dialect_;  // first: read from the writer before it moves into writes_
  Connector connect_;
  WriteQueue writes_;
  ReaderPool readers_;
  // Writer-thread state: interned metric keys, next chunk sequence number.
  std::unordered_map<std::string, std::int64_t> key_ids_;
  std::int64_t next_seq_ = 1;
  // Writer-thread state: chunk sequence numbers unique across writers (NextChunkSeq).
  static constexpr std::int64_t kWriterSlots = 1024;
  std::int64_t writer_number_ = 0;
  std::int64_t last_tick_ = 0;
  // PostgreSQL only (null on SQLite); last, so it is stopped before the rest goes.
  std::unique_ptr<StatisticsRefresh> stats_;
};

// The base of the per-resource stores: the context and, under the names their code uses, its
// writer and readers.
class SqliteResourceStore {
 protected:
  explicit SqliteResourceStore(DbContext& ctx)
      : ctx_(ctx), writes_(ctx.writes()), readers_(ctx.readers()) {}

  DbContext& ctx_;
  WriteQueue& writes_;
  ReaderPool& readers_;
};

}  // namespace mlws::store::sqlite
