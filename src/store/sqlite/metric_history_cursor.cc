// SqliteRunStore::OpenMetricHistory: a metric's history streamed a batch of chunks at a time.
//
// Points are kept in logging order (chunks by seq); the history is served by (timestamp, step,
// value). Logging order is nearly always that order already, so opening first scans the chunks
// without keeping them (bounded memory) to check it, and notes the last chunk's seq so the
// stream has a fixed end even while the run keeps logging. Only a history logged out of order
// is sorted in memory, as GetMetricHistory does. Each batch borrows a reader for its own query,
// so a slow client never holds a database connection between batches.
//
// The key's points in the run's multi-key chunks (metric_codec.h; fewer than
// kCompactMultiKeyChunks of them) are read at open, in the same statement as the scan, and
// merged into the stream: the writer may fold them into a chunk of the key's own meanwhile, but
// under a sequence number past the stream's end (metric_compaction.h), so none is read twice.
#include <algorithm>
#include <cstring>
#include <memory>

#include "store/sqlite/metric_codec.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

namespace {

using tracking::MetricPoint;

constexpr std::size_t kBatchPoints = 64 * 1024;  // points decoded per query, at most (+1 chunk)
constexpr int kBatchChunks = 4096;

MetricPoint PointAt(const char* p) {
  MetricPoint m;
  std::memcpy(&m.step, p, 8);
  std::memcpy(&m.timestamp, p + 8, 8);
  std::memcpy(&m.value, p + 16, 8);
  return m;
}

class SortedChunkCursor final : public MetricHistoryCursor {
 public:
  // `newest`: the key's points in multi-key chunks, in history order.
  SortedChunkCursor(ReaderPool& readers, std::int64_t run_rowid, std::int64_t key_id,
                    std::int64_t last_seq, std::vector<MetricPoint> newest)
      : readers_(readers),
        run_rowid_(run_rowid),
        key_id_(key_id),
        last_seq_(last_seq),
        newest_(std::move(newest)) {}

  Status Next(std::vector<MetricPoint>& out, std::size_t max) override {
    std::size_t added = 0;
    while (added < max) {
      if (pos_ == pending_.size()) {
        pending_.clear();
        pos_ = 0;
        RETURN_IF_ERROR(Refill());
      }
      bool chunk = pos_ < pending_.size(), other = next_newest_ < newest_.size();
      if (!chunk && !other) break;
      const MetricPoint& m =
          chunk && (!other || !HistoryLess(newest_[next_newest_], pending_[pos_]))
              ? pending_[pos_++]
              : newest_[next_newest_++];
      if (has_prev_ && HistorySame(m, prev_)) continue;
      prev_ = m;
      has_prev_ = true;
      out.push_back(m);
      ++added;
    }
    return Status::Ok();
  }

 private:
  Status Refill() {
    if (done_seq_ >= last_seq_) return Status::Ok();
    ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
    ASSIGN_OR_RETURN(
        Stmt * s, lease.db().Cached("SELECT seq, data FROM metric_chunks WHERE run_rowid = ? AND "
                                    "key_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?"));
    s->Bind(1, run_rowid_).Bind(2, key_id_).Bind(3, done_seq_).Bind(4, last_seq_);
    s->Bind(5, kBatchChunks);
    bool any = false;
    while (pending_.size() < kBatchPoints) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      any = true;
      done_seq_ = s->Int(0);
      if (!DecodeMetricChunk(s->Blob(1), pending_)) return Internal("corrupt metric chunk");
    }
    // No row left before last_seq_: the run was deleted meanwhile, or this was the last batch.
    if (!any) done_seq_ = last_seq_;
    return Status::Ok();
  }

  ReaderPool& readers_;
  const std::int64_t run_rowid_;
  const std::int64_t key_id_;
  const std::int64_t last_seq_;  // the stream's end, fixed at open
  std::int64_t done_seq_ = 0;    // chunks up to here are decoded
  std::vector<MetricPoint> pending_;
  std::size_t pos_ = 0;
  const std::vector<MetricPoint> newest_;
  std::size_t next_newest_ = 0;
  MetricPoint prev_;
  bool has_prev_ = false;
};

}  // namespace

StatusOr<std::unique_ptr<MetricHistoryCursor>> SqliteRunStore::OpenMetricHistory(
    const MetricHistoryQuery& q) {
  std::int64_t run_rowid = 0, key_id = 0, last_seq = 0;
  bool sorted = true;
  std::vector<MetricPoint> newest;
  {
    ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
    Db& db = lease.db();
    ASSIGN_OR_RETURN(RunRef ref, ResolveRun(db, q.workspace_id, q.run_id, false));
    run_rowid = ref.rowid;
    ASSIGN_OR_RETURN(Stmt * k, db.Cached("SELECT id FROM metric_keys WHERE key = ?"));
    k->Bind(1, q.key);
    ASSIGN_OR_RETURN(bool found, k->Step());
    if (!found)
      return std::unique_ptr<MetricHistoryCursor>(
          std::make_unique<VectorHistoryCursor>(std::vector<MetricPoint>{}));
    key_id = k->Int(0);
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT key_id, seq, data FROM metric_chunks WHERE "
                                         "run_rowid = ? AND key_id IN (?, ?) ORDER BY key_id, "
                                         "seq"));
    s->Bind(1, run_rowid).Bind(2, key_id).Bind(3, kMultiKeyChunk);
    MetricPoint prev;
    bool has_prev = false;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      std::string_view blob = s->Blob(2);
      if (s->Int(0) == kMultiKeyChunk) {  // these come first
        if (!DecodeMultiKeyChunk(blob, key_id, newest)) return Internal("corrupt metric chunk");
        continue;
      }
      last_seq = s->Int(1);
      if (blob.size() % kMetricPointSize != 0) return Internal("corrupt metric chunk");
      for (std::size_t off = 0; off < blob.size(); off += kMetricPointSize) {
        MetricPoint m = PointAt(blob.data() + off);
        if (has_prev && HistoryLess(m, prev)) {
          sorted = false;
          break;
        }
        prev = m;
        has_prev = true;
      }
      if (!sorted) break;
    }
  }
  std::sort(newest.begin(), newest.end(), HistoryLess);
  if (!sorted) {
    ASSIGN_OR_RETURN(auto points, GetMetricHistory(q));
    return std::unique_ptr<MetricHistoryCursor>(
        std::make_unique<VectorHistoryCursor>(std::move(points)));
  }
  return std::unique_ptr<MetricHistoryCursor>(std::make_unique<SortedChunkCursor>(
      readers_, run_rowid, key_id, last_seq, std::move(newest)));
}

}  // namespace mlws::store::sqlite
