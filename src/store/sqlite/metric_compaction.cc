#include "store/sqlite/metric_compaction.h"

#include <string>
#include <unordered_map>
#include <vector>

#include "store/sqlite/metric_codec.h"
#include "store/sqlite/metric_rows_write.h"

namespace mlws::store::sqlite {

namespace {

StatusOr<bool> DueForFold(Db& db, std::int64_t run_rowid) {
  ASSIGN_OR_RETURN(Stmt * n, db.Cached("SELECT COUNT(*) FROM metric_chunks WHERE run_rowid = ? "
                                       "AND key_id = ?"));
  n->Bind(1, run_rowid).Bind(2, kMultiKeyChunk);
  ASSIGN_OR_RETURN(bool counted, n->Step());
  bool due = counted && n->Int(0) >= kCompactMultiKeyChunks;
  n->Reset();
  return due;
}

}  // namespace

Status CompactMultiKeyChunks(Db& db, std::int64_t run_rowid, std::int64_t seq) {
  ASSIGN_OR_RETURN(bool due, DueForFold(db, run_rowid));
  if (!due) return Status::Ok();
  if (db.dialect() == Dialect::kPostgres) {
    // Another server may be folding this run's chunks too (SQLite has one writer at a time):
    // the run's row lock makes it wait for our commit, then the count is read again, so the
    // same chunks are never folded twice.
    ASSIGN_OR_RETURN(Stmt * lock,
                     db.Cached("SELECT rowid FROM runs WHERE rowid = ? FOR NO KEY UPDATE"));
    lock->Bind(1, run_rowid);
    RETURN_IF_ERROR(lock->Step().status());
    lock->Reset();
    ASSIGN_OR_RETURN(due, DueForFold(db, run_rowid));
    if (!due) return Status::Ok();
  }
  // Each key's points in logging order: chunks by seq, a chunk's points as stored.
  struct Folded {
    std::string points;
    std::int64_t count = 0;
  };
  std::vector<std::int64_t> order;  // key ids by first appearance
  std::unordered_map<std::int64_t, Folded> keys;
  std::int64_t last = 0;
  ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT seq, data FROM metric_chunks WHERE run_rowid = ? "
                                       "AND key_id = ? ORDER BY seq"));
  s->Bind(1, run_rowid).Bind(2, kMultiKeyChunk);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    last = s->Int(0);
    bool ok = ForEachMultiKeyPart(s->Blob(1), [&](std::int64_t key_id, std::string_view points) {
      auto [it, fresh] = keys.try_emplace(key_id);
      if (fresh) order.push_back(key_id);
      it->second.points.append(points);
      it->second.count += static_cast<std::int64_t>(points.size() / kMetricPointSize);
    });
    if (!ok) return Internal("corrupt multi-key metric chunk in run " + std::to_string(run_rowid));
  }
  std::vector<MetricKeyRows> rows;
  rows.reserve(order.size());
  for (std::int64_t key_id : order) {
    const Folded& f = keys[key_id];
    MetricKeyRows r;
    r.key_id = key_id;
    r.seq = seq;
    r.count = f.count;
    r.blob = &f.points;
    rows.push_back(r);
  }
  RETURN_IF_ERROR(WriteMetricChunkRows(db, run_rowid, rows));
  ASSIGN_OR_RETURN(Stmt * d, db.Cached("DELETE FROM metric_chunks WHERE run_rowid = ? AND "
                                       "key_id = ? AND seq <= ?"));
  d->Bind(1, run_rowid).Bind(2, kMultiKeyChunk).Bind(3, last);
  return d->Run();
}

}  // namespace mlws::store::sqlite
