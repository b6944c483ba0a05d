#include "store/sqlite/pg_log_batch.h"

#include <fmt/format.h>

#include <cmath>
#include <string_view>

#include "store/sqlite/metric_codec.h"
#include "store/sqlite/pg_run_rows.h"

namespace mlws::store::sqlite {

namespace {

// The main query reads the tables as they were before the statement's own inserts (a
// data-modifying WITH is not seen by its statement): the params the run had, and its multi-key
// chunks without this batch's. `(SELECT 1) LEFT JOIN` gives one row even without params.
const std::string& FoldedBatchSql() {
  static const std::string sql =
      std::string(
          "WITH r AS (SELECT rowid FROM runs WHERE run_uuid = ? AND workspace_id = ? AND "
          "lifecycle_stage = 'active'), "
          "pv AS (SELECT v.key, v.value FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[])) AS v "
          "(key, value)), "
          "pi AS (INSERT INTO params (run_rowid, key, value) SELECT r.rowid, pv.key, pv.value "
          "FROM r CROSS JOIN pv ON CONFLICT (run_rowid, key) DO NOTHING RETURNING key), "
          "ti AS (INSERT INTO tags (run_rowid, key, value) SELECT r.rowid, v.key, v.value FROM r "
          "CROSS JOIN unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[])) AS v (key, value) ON CONFLICT "
          "(run_rowid, key) DO UPDATE SET value = excluded.value), "
          "c AS (INSERT INTO metric_chunks (run_rowid, key_id, seq, count, data) SELECT r.rowid, "
          "k.key_id, k.seq, k.count, k.data FROM r CROSS JOIN (VALUES (CAST(? AS BIGINT), "
          "CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BYTEA))) AS k (key_id, seq, count, "
          "data) WHERE k.count > 0), "
          "m AS (INSERT INTO latest_metrics AS l (run_rowid, key_id, value, is_nan, timestamp, "
          "step) SELECT r.rowid, v.key_id, v.value, v.is_nan, v.ts, v.step FROM r CROSS JOIN "
          "unnest(CAST(? AS BIGINT[]), CAST(? AS DOUBLE PRECISION[]), CAST(? AS BIGINT[]), "
          "CAST(? AS BIGINT[]), CAST(? AS BIGINT[])) AS v (key_id, value, is_nan, ts, step)") +
      LatestUpsertClause() +
      ") SELECT (SELECT rowid FROM r), (SELECT count(*) FROM pi), (SELECT count(*) FROM "
      "metric_chunks WHERE run_rowid = (SELECT rowid FROM r) AND key_id = " +
      std::to_string(kMultiKeyChunk) +
      "), p.key, p.value, pv.value FROM (SELECT 1) AS one LEFT JOIN (pv LEFT JOIN params p ON "
      "p.run_rowid = (SELECT rowid FROM r) AND p.key = pv.key) ON true";
  return sql;
}

std::vector<const std::string*> Keys(const std::vector<tracking::KeyValue>& kvs) {
  std::vector<const std::string*> out;
  out.reserve(kvs.size());
  for (const auto& kv : kvs) out.push_back(&kv.key);
  return out;
}

std::vector<const std::string*> Values(const std::vector<tracking::KeyValue>& kvs) {
  std::vector<const std::string*> out;
  out.reserve(kvs.size());
  for (const auto& kv : kvs) out.push_back(&kv.value);
  return out;
}

}  // namespace

std::string PgTextArray(const std::vector<const std::string*>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : *values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string PgIntArray(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(values[i]);
  }
  out += '}';
  return out;
}

std::string PgDoubleArray(const std::vector<double>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    double v = values[i];
    if (std::isnan(v)) {
      out += "NULL";
    } else if (std::isinf(v)) {
      out += v > 0 ? "Infinity" : "-Infinity";
    } else {
      out += fmt::format("{}", v);  // the shortest form that reads back exactly
    }
  }
  out += '}';
  return out;
}

StatusOr<FoldedBatchResult> WriteFoldedBatchPg(Db& db, const FoldedBatch& b) {
  if (db.dialect() != Dialect::kPostgres) return Internal("a folded log-batch is PostgreSQL's");
  ASSIGN_OR_RETURN(Stmt * s, db.Cached(FoldedBatchSql().c_str()));
  s->Bind(1, *b.run_id).Bind(2, b.workspace_id);
  s->Bind(3, PgTextArray(Keys(*b.params))).Bind(4, PgTextArray(Values(*b.params)));
  s->Bind(5, PgTextArray(Keys(*b.tags))).Bind(6, PgTextArray(Values(*b.tags)));
  static const std::string kNoBlob;
  const MetricKeyRows none;
  const MetricKeyRows& c = b.chunk ? *b.chunk : none;
  const std::string& blob = c.blob != nullptr ? *c.blob : kNoBlob;
  s->Bind(7, c.key_id).Bind(8, c.seq).Bind(9, b.chunk ? c.count : 0);
  s->BindBlob(10, blob.data(), static_cast<int>(blob.size()));
  std::vector<std::int64_t> key_ids, is_nan, timestamps, steps;
  std::vector<double> values;
  for (const MetricKeyRows& k : *b.latest) {
    key_ids.push_back(k.key_id);
    values.push_back(k.latest->value);
    is_nan.push_back(std::isnan(k.latest->value) ? 1 : 0);
    timestamps.push_back(k.latest->timestamp);
    steps.push_back(k.latest->step);
  }
  s->Bind(11, PgIntArray(key_ids)).Bind(12, PgDoubleArray(values)).Bind(13, PgIntArray(is_nan));
  s->Bind(14, PgIntArray(timestamps)).Bind(15, PgIntArray(steps));

  FoldedBatchResult out;
  std::int64_t inserted = 0, same = 0;
  for (;;) {
    auto row = s->Step();
    if (!row.ok()) {
      s->Reset();
      return row.status();
    }
    if (!*row) break;
    out.run_rowid = s->IsNull(0) ? 0 : s->Int(0);
    inserted = s->Int(1);
    out.multi_key_chunks = s->Int(2);
    if (s->IsNull(5)) continue;  // no params
    if (s->IsNull(3)) continue;  // a new key
    if (s->TextView(4) == s->TextView(5)) {
      ++same;
      continue;
    }
    Status st = ParamValueChanged(s->TextView(3), s->TextView(4), *b.run_id, s->TextView(5));
    s->Reset();
    return st;
  }
  s->Reset();
  if (b.chunk && b.chunk->key_id == kMultiKeyChunk) ++out.multi_key_chunks;
  out.params_checked = inserted + same == static_cast<std::int64_t>(b.params->size());
  return out;
}

}  // namespace mlws::store::sqlite
