// On-disk format of a metric chunk (metric_chunks.data): `count` points, each 24 bytes,
// little-endian: int64 step, int64 timestamp (ms), IEEE-754 double value (NaN and ±inf kept).
// The format is documented in docs/storage.md; change it only with a new migration.
//
// A multi-key chunk (metric_chunks.key_id = kMultiKeyChunk, never a real key id) holds the
// points of many keys logged by one request: a uint32 key count, then per key an int64 key id
// and a uint32 point count, then each key's points (the format above) in that order. One row per
// request instead of one per key; the writer folds a run's multi-key chunks into per-key chunks
// once it has kCompactMultiKeyChunks of them (metric_compaction.cc), so a history reads few.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mlws/tracking/entities.h"

namespace mlws::store::sqlite {

constexpr size_t kMetricPointSize = 24;
constexpr std::int64_t kMultiKeyChunk = 0;  // metric_keys ids start at 1
// A key with fewer points than this in a request goes into the request's multi-key chunk.
constexpr std::int64_t kOwnChunkPoints = 64;
constexpr std::int64_t kCompactMultiKeyChunks = 16;

void EncodeMetricPoint(const tracking::Metric& m, std::string& out);
// Appends the chunk's points to `out`; false if the blob is malformed.
bool DecodeMetricChunk(std::string_view blob, std::vector<tracking::MetricPoint>& out);

// One key's encoded points in a multi-key chunk.
struct MultiKeyPart {
  std::int64_t key_id = 0;
  std::int64_t count = 0;
  const std::string* points = nullptr;  // EncodeMetricPoint format
};
std::string EncodeMultiKeyChunk(const std::vector<MultiKeyPart>& parts);
// Calls `fn(key_id, points)` for every key of a multi-key chunk, in order; false if malformed.
bool ForEachMultiKeyPart(std::string_view blob,
                         const std::function<void(std::int64_t, std::string_view)>& fn);
// Appends `key_id`'s points in a multi-key chunk to `out`; false if the blob is malformed.
bool DecodeMultiKeyChunk(std::string_view blob, std::int64_t key_id,
                         std::vector<tracking::MetricPoint>& out);

// MLflow's "latest" order: larger step wins, then larger timestamp, then larger value
// (NaN counts as larger than any number).
// History order, as MLflow's SQL store returns points: by (timestamp, step, value).
inline bool HistoryLess(const tracking::MetricPoint& a, const tracking::MetricPoint& b) {
  if (a.timestamp != b.timestamp) return a.timestamp < b.timestamp;
  if (a.step != b.step) return a.step < b.step;
  return a.value < b.value;
}
// Identical points (same step, timestamp and value, NaN equal to NaN) are one point, as in MLflow.
inline bool HistorySame(const tracking::MetricPoint& a, const tracking::MetricPoint& b) {
  return a.timestamp == b.timestamp && a.step == b.step &&
         (a.value == b.value || (std::isnan(a.value) && std::isnan(b.value)));
}

bool MetricIsLater(const tracking::Metric& a, const tracking::Metric& b);

}  // namespace mlws::store::sqlite
