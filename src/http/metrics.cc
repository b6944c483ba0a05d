#include "mlws/http/metrics.h"

#include <fmt/format.h>

#include <fstream>

namespace mlws::http {

namespace {
std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::int64_t ResidentBytes() {
  std::ifstream in("/proc/self/statm");
  std::int64_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * 4096;
}
}  // namespace

RequestMetrics::RequestMetrics() : started_(std::chrono::steady_clock::now()) {}

void RequestMetrics::Record(const std::string& method, const std::string& route, int status,
                            double millis, std::int64_t bytes_in) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string& r = route.empty() ? std::string("unmatched") : route;
  Series& s = latency_[{method, r}];
  ++s.count;
  s.sum_ms += millis;
  for (size_t i = 0; i < kBucketsMs.size(); ++i) {
    if (millis <= kBucketsMs[i]) ++s.buckets[i];
  }
  ++counts_[{method, r, status}];
  bytes_in_ += static_cast<std::uint64_t>(bytes_in > 0 ? bytes_in : 0);
}

std::string RequestMetrics::Render() const {
  std::string out;
  auto up = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  out += "# HELP mlws_uptime_seconds Seconds since the server started.\n";
  out += "# TYPE mlws_uptime_seconds gauge\n";
  out += fmt::format("mlws_uptime_seconds {:.3f}\n", up);
  out += "# HELP mlws_resident_memory_bytes Resident memory of the server process.\n";
  out += "# TYPE mlws_resident_memory_bytes gauge\n";
  out += fmt::format("mlws_resident_memory_bytes {}\n", ResidentBytes());
  std::lock_guard<std::mutex> lock(mu_);
  out += "# HELP mlws_http_requests_total Requests answered, by route and status.\n";
  out += "# TYPE mlws_http_requests_total counter\n";
  for (const auto& [key, n] : counts_) {
    const auto& [method, route, status] = key;
    out += fmt::format("mlws_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
                       Escape(method), Escape(route), status, n);
  }
  out += "# HELP mlws_http_request_duration_seconds Time to answer a request.\n";
  out += "# TYPE mlws_http_request_duration_seconds histogram\n";
  for (const auto& [key, s] : latency_) {
    std::string labels =
        fmt::format("method=\"{}\",route=\"{}\"", Escape(key.first), Escape(key.second));
    for (size_t i = 0; i < kBucketsMs.size(); ++i) {
      out += fmt::format("mlws_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                         kBucketsMs[i] / 1000.0, s.buckets[i]);
    }
    out += fmt::format("mlws_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels,
                       s.count);
    out += fmt::format("mlws_http_request_duration_seconds_sum{{{}}} {:.6f}\n", labels,
                       s.sum_ms / 1000.0);
    out += fmt::format("mlws_http_request_duration_seconds_count{{{}}} {}\n", labels, s.count);
  }
  out += "# HELP mlws_http_request_bytes_total Request body bytes received.\n";
  out += "# TYPE mlws_http_request_bytes_total counter\n";
  out += fmt::format("mlws_http_request_bytes_total {}\n", bytes_in_);
  return out;
}

}  // namespace mlws::http
