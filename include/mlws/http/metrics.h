// RequestMetrics: per-route request counters and latency histograms, rendered in the Prometheus
// text format at GET /metrics. Labels use the route pattern (never the raw path) and the method
// when it is a standard one ("other" else), so their number is bounded by the route table.
// Also renders the front door's gauges (connections, worker pool) when given their source.
// Thread-safe, except SetServerStats (call it before serving).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "mlws/http/server.h"

namespace mlws::http {

class RequestMetrics {
 public:
  RequestMetrics();
  void Record(const std::string& method, const std::string& route, int status, double millis,
              std::int64_t bytes_in);
  std::string Render() const;
  void SetServerStats(std::function<ServerStats()> source) { server_stats_ = std::move(source); }
  // More series (Prometheus text, e.g. from AppendGauge) appended to Render()'s output; for
  // layers http does not depend on (the store). Call before serving.
  void AddSource(std::function<std::string()> source) { sources_.push_back(std::move(source)); }

 private:
  static constexpr std::array<double, 10> kBucketsMs = {1,  2.5, 5,   10,   25,
                                                        50, 100, 250, 1000, 5000};
  struct Series {
    std::uint64_t count = 0;
    double sum_ms = 0;
    std::array<std::uint64_t, kBucketsMs.size()> buckets{};
  };
  mutable std::mutex mu_;
  // (method, route) -> latency; (method, route, status) -> count.
  std::map<std::pair<std::string, std::string>, Series> latency_;              // guarded by mu_
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> counts_;  // guarded by mu_
  std::uint64_t bytes_in_ = 0;                                                 // guarded by mu_
  std::chrono::steady_clock::time_point started_;
  std::function<ServerStats()> server_stats_;
  std::vector<std::function<std::string()>> sources_;
};

// Appends one unlabelled series with its HELP and TYPE lines ("gauge" or "counter").
void AppendGauge(std::string& out, const char* name, const char* help, const char* type,
                 double value);

}  // namespace mlws::http
