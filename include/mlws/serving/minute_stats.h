// MinuteStats: the last hour of one deployment's scoring requests as the front door saw them,
// one bucket per wall-clock minute in a ring of 60: requests, client errors (4xx), server errors
// (5xx) and a latency histogram, from which Last() reads p50 / p90 / p99 per minute (linear
// interpolation inside a histogram bucket, as Prometheus' histogram_quantile). Feeds the studio's
// endpoint charts (GET …/online-endpoints/{name}/stats); /metrics keeps the lifetime counters.
//
// Memory is fixed (60 buckets × ~25 counters). Not thread-safe: the EndpointService guards each
// deployment's MinuteStats with its mutex.
//
// Persistence (so the charts survive a restart): ToJson() is the last hour's buckets as one small
// document, FromJson() puts them back; the EndpointService stores it per deployment, at most once
// a minute while requests arrive (dirty()), and on shutdown (docs/endpoints.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::serving {

// Upper bounds (ms) of the latency histogram's buckets; one more bucket holds the slower ones.
inline constexpr std::array<double, 19> kMinuteLatencyBoundsMs = {
    0.5, 1, 2, 3, 5, 7.5, 10, 15, 25, 50, 75, 100, 250, 500, 1000, 2500, 5000, 10000, 30000};

struct MinutePoint {
  std::int64_t time_ms = 0;  // the minute's start
  std::uint64_t requests = 0;
  std::uint64_t client_errors = 0;  // 4xx (429 over the limit, 408 timeouts, 401 keys, …)
  std::uint64_t server_errors = 0;  // 5xx (run() raised, no ready instance, …)
  // Latency percentiles (ms); empty in a minute without requests.
  std::optional<double> p50, p90, p99, mean;
};

class MinuteStats {
 public:
  static constexpr int kMinutes = 60;

  void Record(std::int64_t now_ms, int status, double latency_ms);
  // The `minutes` (clamped to 1..60) minutes up to and including now's, oldest first; minutes
  // without requests are zeros.
  std::vector<MinutePoint> Last(std::int64_t now_ms, int minutes) const;

  // {"v": 1, "buckets": [{"minute", "requests", "client_errors", "server_errors", "latency": [20
  // counts], "latency_sum_ms"}, …]}: the used buckets of the hour up to now_ms's minute.
  std::string ToJson(std::int64_t now_ms) const;
  // Replaces the ring with the buckets of `doc` within the hour up to now_ms's minute; a document
  // that is not ToJson's shape gives InvalidArgument and changes nothing.
  Status FromJson(const std::string& doc, std::int64_t now_ms);
  // Whether Record() ran since the last MarkClean().
  bool dirty() const { return dirty_; }
  void MarkClean() { dirty_ = false; }

 private:
  struct Bucket {
    std::int64_t minute = -1;  // ms since the epoch / 60000; -1 = never used
    std::uint64_t requests = 0, client_errors = 0, server_errors = 0;
    std::array<std::uint64_t, kMinuteLatencyBoundsMs.size() + 1> latency{};
    double latency_sum_ms = 0;
  };
  std::array<Bucket, kMinutes> ring_{};
  bool dirty_ = false;
};

// The q-quantile (0..1) of a histogram with `counts[i]` observations in (bounds[i-1], bounds[i]]
// (the first from 0, the last above the largest bound, read as that bound); nullopt when empty.
std::optional<double> HistogramQuantile(double q, const double* bounds, const std::uint64_t* counts,
                                        std::size_t n_bounds);

}  // namespace mlws::serving
