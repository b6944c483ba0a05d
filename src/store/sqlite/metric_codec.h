// On-disk format of a metric chunk (metric_chunks.data): `count` points, each 24 bytes,
// little-endian: int64 step, int64 timestamp (ms), IEEE-754 double value (NaN and ±inf kept).
// The format is documented in docs/storage.md; change it only with a new migration.
#pragma once

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "mlws/tracking/entities.h"

namespace mlws::store::sqlite {

constexpr size_t kMetricPointSize = 24;

void EncodeMetricPoint(const tracking::Metric& m, std::string& out);
// Appends the chunk's points to `out`; false if the blob is malformed.
bool DecodeMetricChunk(std::string_view blob, std::vector<tracking::MetricPoint>& out);

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
