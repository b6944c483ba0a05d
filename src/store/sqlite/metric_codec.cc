#include "store/sqlite/metric_codec.h"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace mlws::store::sqlite {

static_assert(sizeof(double) == 8 && sizeof(std::int64_t) == 8);

void EncodeMetricPoint(const tracking::Metric& m, std::string& out) {
  char buf[kMetricPointSize];
  std::int64_t step = m.step;
  std::int64_t ts = m.timestamp;
  std::memcpy(buf, &step, 8);
  std::memcpy(buf + 8, &ts, 8);
  std::memcpy(buf + 16, &m.value, 8);
  out.append(buf, kMetricPointSize);
}

bool DecodeMetricChunk(std::string_view blob, std::vector<tracking::MetricPoint>& out) {
  if (blob.size() % kMetricPointSize != 0) return false;
  size_t n = blob.size() / kMetricPointSize;
  const char* p = blob.data();
  for (size_t i = 0; i < n; ++i, p += kMetricPointSize) {
    tracking::MetricPoint m;
    std::memcpy(&m.step, p, 8);
    std::memcpy(&m.timestamp, p + 8, 8);
    std::memcpy(&m.value, p + 16, 8);
    out.push_back(m);
  }
  return true;
}

bool MetricIsLater(const tracking::Metric& a, const tracking::Metric& b) {
  if (a.step != b.step) return a.step > b.step;
  if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
  bool an = std::isnan(a.value), bn = std::isnan(b.value);
  if (an || bn) return an && !bn;
  return a.value > b.value;
}

}  // namespace mlws::store::sqlite
