// Per-minute request counters of a deployment (include/mlws/serving/minute_stats.h).
#include "mlws/serving/minute_stats.h"

#include <algorithm>

namespace mlws::serving {

namespace {

constexpr std::int64_t kMinuteMs = 60'000;

std::int64_t MinuteOf(std::int64_t ms) { return ms >= 0 ? ms / kMinuteMs : -1; }

}  // namespace

void MinuteStats::Record(std::int64_t now_ms, int status, double latency_ms) {
  std::int64_t minute = MinuteOf(now_ms);
  if (minute < 0) return;
  Bucket& b = ring_[static_cast<std::size_t>(minute % kMinutes)];
  if (b.minute != minute) b = Bucket{minute};
  ++b.requests;
  if (status >= 400 && status < 500) ++b.client_errors;
  if (status >= 500) ++b.server_errors;
  std::size_t i = 0;
  while (i < kMinuteLatencyBoundsMs.size() && latency_ms > kMinuteLatencyBoundsMs[i]) ++i;
  ++b.latency[i];
  b.latency_sum_ms += std::max(0.0, latency_ms);
}

std::vector<MinutePoint> MinuteStats::Last(std::int64_t now_ms, int minutes) const {
  minutes = std::clamp(minutes, 1, kMinutes);
  std::int64_t last = MinuteOf(now_ms);
  std::vector<MinutePoint> out;
  out.reserve(static_cast<std::size_t>(minutes));
  for (std::int64_t m = last - minutes + 1; m <= last; ++m) {
    MinutePoint p;
    p.time_ms = m * kMinuteMs;
    if (m >= 0) {
      const Bucket& b = ring_[static_cast<std::size_t>(m % kMinutes)];
      if (b.minute == m && b.requests > 0) {
        p.requests = b.requests;
        p.client_errors = b.client_errors;
        p.server_errors = b.server_errors;
        const double* bounds = kMinuteLatencyBoundsMs.data();
        p.p50 = HistogramQuantile(0.5, bounds, b.latency.data(), kMinuteLatencyBoundsMs.size());
        p.p90 = HistogramQuantile(0.9, bounds, b.latency.data(), kMinuteLatencyBoundsMs.size());
        p.p99 = HistogramQuantile(0.99, bounds, b.latency.data(), kMinuteLatencyBoundsMs.size());
        p.mean = b.latency_sum_ms / static_cast<double>(b.requests);
      }
    }
    out.push_back(p);
  }
  return out;
}

std::optional<double> HistogramQuantile(double q, const double* bounds, const std::uint64_t* counts,
                                        std::size_t n_bounds) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= n_bounds; ++i) total += counts[i];
  if (total == 0) return std::nullopt;
  double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < n_bounds; ++i) {
    if (counts[i] > 0 && static_cast<double>(below + counts[i]) >= rank) {
      double lo = i == 0 ? 0.0 : bounds[i - 1];
      double frac = (rank - static_cast<double>(below)) / static_cast<double>(counts[i]);
      return lo + (bounds[i] - lo) * std::clamp(frac, 0.0, 1.0);
    }
    below += counts[i];
  }
  return bounds[n_bounds - 1];  // in the overflow bucket: the largest bound, as Prometheus
}

}  // namespace mlws::serving
