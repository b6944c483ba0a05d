#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <chrono>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sql_tx.h"

namespace mlws::store::sqlite {

StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, Env* env) {
  return OpenWith([path, env](bool readonly) { return Db::Open(path, readonly, env); });
}

StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::OpenWith(Connector connect) {
  ASSIGN_OR_RETURN(auto writer, connect(/*readonly=*/false));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(connect), std::move(writer)));
}

SqliteStore::SqliteStore(Connector connect, std::unique_ptr<Db> writer)
    : ctx_(std::move(connect), std::move(writer)) {}

// A rollback may have dropped metric keys interned in it: forget them all.
DbContext::DbContext(Connector connect, std::unique_ptr<Db> writer)
    : dialect_(writer->dialect()),
      connect_(std::move(connect)),
      writes_(std::move(writer), [this] { key_ids_.clear(); }),
      readers_(connect_) {
  if (dialect_ == Dialect::kPostgres) stats_ = std::make_unique<StatisticsRefresh>(connect_);
}

SqliteStore::~SqliteStore() { Close(); }

void SqliteStore::Close() {
  closed_ = true;
  writes_.Stop();
}

StatusOr<int> SqliteStore::Migrate() {
  int version = 0;
  {
    ASSIGN_OR_RETURN(auto db, ctx_.connector()(/*readonly=*/false));
    ASSIGN_OR_RETURN(version, ApplyMigrations(*db));
  }
  RETURN_IF_ERROR(writes_.Submit([this](Db& db) { return ctx_.LoadWriterState(db); }));
  return version;
}

Status DbContext::LoadWriterState(Db& db) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT COALESCE(MAX(seq), 0) + 1 FROM metric_chunks"));
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (row) next_seq_ = s.Int(0);
  // This writer's number (several servers may write to one database): the low bits of every
  // chunk sequence number it makes (NextChunkSeq), so no two writers make the same one.
  ASSIGN_OR_RETURN(Stmt n, db.Prepare("UPDATE store_counters SET value = value + 1 WHERE name "
                                      "= 'writer' RETURNING value"));
  ASSIGN_OR_RETURN(bool got, n.Step());
  if (got) writer_number_ = n.Int(0) % kWriterSlots;
  return Status::Ok();
}

// Interned metric keys: an id, once in metric_keys, never changes or goes away, so the cache is
// right on every server. A key another server inserted meanwhile is not an error: the insert
// does nothing and the select finds that server's id.
StatusOr<std::int64_t> DbContext::MetricKeyId(Db& db, const std::string& key) {
  auto it = key_ids_.find(key);
  if (it != key_ids_.end()) return it->second;
  ASSIGN_OR_RETURN(Stmt * sel, db.Cached("SELECT id FROM metric_keys WHERE key = ?"));
  sel->Bind(1, key);
  ASSIGN_OR_RETURN(bool row, sel->Step());
  std::int64_t id = 0;
  if (row) {
    id = sel->Int(0);
  } else {
    ASSIGN_OR_RETURN(Stmt * ins, db.Cached("INSERT INTO metric_keys (key) VALUES (?) ON CONFLICT "
                                           "(key) DO NOTHING"));
    ins->Bind(1, key);
    RETURN_IF_ERROR(ins->Run());
    ASSIGN_OR_RETURN(Stmt * again, db.Cached("SELECT id FROM metric_keys WHERE key = ?"));
    again->Bind(1, key);
    ASSIGN_OR_RETURN(bool found, again->Step());
    if (!found) return Internal("metric key '" + key + "' vanished while it was interned");
    id = again->Int(0);
    again->Reset();
  }
  key_ids_.emplace(key, id);
  return id;
}

// Chunk sequence numbers order a metric's chunks (history reads ORDER BY seq) and, with the run
// and key, are a chunk's primary key. Several writers share the database: each number is
// (a hybrid logical clock in microseconds) * kWriterSlots + this writer's number, so numbers
// from one writer grow, numbers from different writers never collide, and chunks of one metric
// logged through two servers interleave by time. Existing (small) numbers stay below them.
std::int64_t DbContext::NextChunkSeq() {
  std::int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  std::int64_t tick = std::max(now_us, last_tick_ + 1);
  if (tick * kWriterSlots < next_seq_) tick = next_seq_ / kWriterSlots + 1;
  last_tick_ = tick;
  next_seq_ = tick * kWriterSlots + writer_number_ + 1;
  return tick * kWriterSlots + writer_number_;
}

Status SqliteStore::Atomically(const TxFn& fn) {
  return writes_.Submit([this, &fn](Db& db) {
    SqlTx tx(db, [this](Documents which) -> SqliteDocumentStore& {
      switch (which) {
        case Documents::kBatchEndpoints: return batch_endpoints_;
        case Documents::kBatchDeployments: return batch_deployments_;
        case Documents::kQuotas: return quotas_;
      }
      return quotas_;  // unreachable: every enumerator is handled above
    });
    return fn(tx);
  });
}

StatusOr<std::unique_ptr<MetadataStore>> OpenSqliteStore(const std::string& path) {
  ASSIGN_OR_RETURN(auto s, SqliteStore::Open(path));
  return std::unique_ptr<MetadataStore>(std::move(s));
}

}  // namespace mlws::store::sqlite
