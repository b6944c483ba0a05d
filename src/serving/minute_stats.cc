// Per-minute request counters of a deployment (include/mlws/serving/minute_stats.h).
#include "mlws/serving/minute_stats.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "mlws/common/json.h"

namespace mlws::serving {

namespace {

constexpr std::int64_t kMinuteMs = 60'000;

std::int64_t MinuteOf(std::int64_t ms) { return ms >= 0 ? ms / kMinuteMs : -1; }

// A stored count (absent = 0); nullopt when it is there but not a count.
std::optional<std::uint64_t> Count(const nlohmann::json& e, const char* key) {
  auto it = e.find(key);
  if (it == e.end()) return 0;
  if (!it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

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
  dirty_ = true;
}

std::string MinuteStats::ToJson(std::int64_t now_ms) const {
  std::int64_t last = MinuteOf(now_ms);
  nlohmann::json buckets = nlohmann::json::array();
  for (const Bucket& b : ring_) {
    if (b.minute < 0 || b.minute > last || b.minute <= last - kMinutes || b.requests == 0) continue;
    buckets.push_back({{"minute", b.minute},
                       {"requests", b.requests},
                       {"client_errors", b.client_errors},
                       {"server_errors", b.server_errors},
                       {"latency", b.latency},
                       {"latency_sum_ms", b.latency_sum_ms}});
  }
  return DumpJson({{"v", 1}, {"buckets", buckets}});
}

Status MinuteStats::FromJson(const std::string& doc, std::int64_t now_ms) {
  auto j = nlohmann::json::parse(doc, nullptr, false);
  if (!j.is_object() || !j.contains("v") || j["v"] != 1 || !j.contains("buckets") ||
      !j["buckets"].is_array()) {
    return InvalidArgument("not a stored minute-stats document");
  }
  std::int64_t last = MinuteOf(now_ms);
  std::array<Bucket, kMinutes> ring{};
  for (const auto& e : j["buckets"]) {
    if (!e.is_object()) return InvalidArgument("a minute-stats bucket is not an object");
    Bucket b;
    auto minute = e.find("minute");
    auto lat_it = e.find("latency");
    if (minute == e.end() || !minute->is_number_integer() || lat_it == e.end() ||
        !lat_it->is_array() || lat_it->size() != b.latency.size()) {
      return InvalidArgument("a minute-stats bucket has no minute or a latency of the wrong size");
    }
    const nlohmann::json& lat = *lat_it;
    b.minute = minute->get<std::int64_t>();
    if (b.minute < 0 || b.minute > last || b.minute <= last - kMinutes) continue;
    auto requests = Count(e, "requests");
    auto client_errors = Count(e, "client_errors");
    auto server_errors = Count(e, "server_errors");
    auto sum = e.find("latency_sum_ms");
    if (!requests || !client_errors || !server_errors || sum == e.end() || !sum->is_number()) {
      return InvalidArgument("a minute-stats bucket has a count that is not a count");
    }
    b.requests = *requests;
    b.client_errors = *client_errors;
    b.server_errors = *server_errors;
    b.latency_sum_ms = sum->get<double>();
    for (std::size_t i = 0; i < b.latency.size(); ++i) {
      if (!lat[i].is_number_unsigned()) return InvalidArgument("a latency count is not a count");
      b.latency[i] = lat[i].get<std::uint64_t>();
    }
    ring[static_cast<std::size_t>(b.minute % kMinutes)] = b;
  }
  ring_ = ring;
  dirty_ = false;
  return Status::Ok();
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
