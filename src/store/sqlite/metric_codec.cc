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

namespace {
constexpr std::size_t kPartHeader = 12;  // int64 key id, uint32 point count
}

std::string EncodeMultiKeyChunk(const std::vector<MultiKeyPart>& parts) {
  std::size_t size = 4;
  for (const auto& p : parts) size += kPartHeader + p.points->size();
  std::string out;
  out.reserve(size);
  std::uint32_t n = static_cast<std::uint32_t>(parts.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  for (const auto& p : parts) {
    std::uint32_t count = static_cast<std::uint32_t>(p.count);
    out.append(reinterpret_cast<const char*>(&p.key_id), 8);
    out.append(reinterpret_cast<const char*>(&count), 4);
  }
  for (const auto& p : parts) out.append(*p.points);
  return out;
}

bool ForEachMultiKeyPart(std::string_view blob,
                         const std::function<void(std::int64_t, std::string_view)>& fn) {
  std::uint32_t n = 0;
  if (blob.size() < 4) return false;
  std::memcpy(&n, blob.data(), 4);
  if ((blob.size() - 4) / kPartHeader < n) return false;
  std::size_t off = 4 + std::size_t{n} * kPartHeader;
  for (std::uint32_t i = 0; i < n; ++i) {
    const char* h = blob.data() + 4 + std::size_t{i} * kPartHeader;
    std::int64_t key_id = 0;
    std::uint32_t count = 0;
    std::memcpy(&key_id, h, 8);
    std::memcpy(&count, h + 8, 4);
    std::size_t bytes = std::size_t{count} * kMetricPointSize;
    if (blob.size() - off < bytes) return false;
    fn(key_id, blob.substr(off, bytes));
    off += bytes;
  }
  return off == blob.size();
}

bool DecodeMultiKeyChunk(std::string_view blob, std::int64_t key_id,
                         std::vector<tracking::MetricPoint>& out) {
  return ForEachMultiKeyPart(blob, [&](std::int64_t id, std::string_view points) {
    if (id == key_id) DecodeMetricChunk(points, out);
  });
}

bool MetricIsLater(const tracking::Metric& a, const tracking::Metric& b) {
  if (a.step != b.step) return a.step > b.step;
  if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
  bool an = std::isnan(a.value), bn = std::isnan(b.value);
  if (an || bn) return an && !bn;
  return a.value > b.value;
}

}  // namespace mlws::store::sqlite
