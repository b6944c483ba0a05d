#include "mlws/http/metrics.h"

#include <fmt/format.h>

#include <fstream>

#include "mlws/http/wire_rules.h"

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
  // Labels come only from the route table and the standard methods, so clients cannot grow the
  // number of series.
  const std::string m(MethodLabel(method));
  const std::string& r = route.empty() ? std::string("unmatched") : route;
  std::lock_guard<std::mutex> lock(mu_);
  Series& s = latency_[{m, r}];
  ++s.count;
  s.sum_ms += millis;
  for (size_t i = 0; i < kBucketsMs.size(); ++i) {
    if (millis <= kBucketsMs[i]) ++s.buckets[i];
  }
  ++counts_[{m, r, status}];
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
  if (server_stats_) {
    ServerStats st = server_stats_();
    auto gauge = [&out](const char* name, const char* help, const char* type, auto value) {
      out +=
          fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
    };
    gauge("mlws_http_open_connections", "Open client connections.", "gauge", st.open_connections);
    gauge("mlws_http_idle_connections", "Connections waiting for a request.", "gauge",
          st.idle_connections);
    gauge("mlws_http_worker_threads", "Threads running request handlers.", "gauge",
          st.worker_threads);
    gauge("mlws_http_workers_busy", "Worker threads running a handler now.", "gauge",
          st.workers_busy);
    gauge("mlws_http_worker_queue_depth", "Requests waiting for a worker thread.", "gauge",
          st.worker_queue_depth);
    gauge("mlws_http_worker_queue_capacity", "Requests that may wait for a worker thread.", "gauge",
          st.worker_queue_capacity);
    gauge("mlws_http_busy_rejections_total", "Requests answered 503 because the queue was full.",
          "counter", st.busy_rejections);
    gauge("mlws_http_connections_refused_total", "Connections refused at a connection cap.",
          "counter", st.connections_refused);
    gauge("mlws_http_idle_evictions_total", "Idle connections closed to make room for a new one.",
          "counter", st.idle_evictions);
    gauge("mlws_http_timeouts_total",
          "Connections ended by a header, idle, body or write deadline.", "counter", st.timeouts);
  }
  for (const auto& source : sources_) out += source();
  return out;
}

void AppendGauge(std::string& out, const char* name, const char* help, const char* type,
                 double value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

}  // namespace mlws::http
