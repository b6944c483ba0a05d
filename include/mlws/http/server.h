// HttpServer: an event-driven HTTP/1.1 server on Boost.Asio/Beast (kept inside src/http/).
//
// A few I/O threads run every socket with asynchronous accept/read/write; handlers (which may
// block on the store's group commit or on file I/O) and admission hooks run on a bounded
// WorkerPool. When the pool's queue is full a request gets 503 with Retry-After at once.
//
// Per request: the header is read (whole header within header_timeout of its first byte), the
// framing checked (Transfer-Encoding other than exactly "chunked", or both framings: 400 and
// close), the route resolved and its admission hook run; only an admitted request has its body
// read ("Expect: 100-continue" is answered then), with a progress deadline and a minimum rate.
// Bodies above the limit get 413; bodies of streaming routes go to the staging folder, never to
// memory. Responses are written with a progress deadline; file responses are streamed.
//
// Connections: a global cap and a per-address cap. At the global cap the oldest idle
// connection (keep-alive between requests, or not yet sent a byte) is closed to make room;
// with none idle the new connection is refused (503 on plain HTTP, closed unanswered on TLS).
// Under TLS nothing is written before the handshake, which has header_timeout to finish.
//
// Stop() is graceful: it stops accepting, closes idle connections and waits (up to 30 s) for
// the requests in flight to finish. Thread-safe: Stop() may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "mlws/common/status.h"
#include "mlws/http/router.h"

namespace mlws::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 5000;                             // 0 = pick a free port
  std::size_t max_body_bytes = 64u << 20;      // JSON bodies
  std::size_t max_upload_bytes = 64ull << 30;  // streamed artifact uploads
  // Deadlines (seconds). header: from the first byte of a request (and for a new connection
  // from accept, and for the TLS handshake) to the end of its header. idle: a keep-alive
  // connection between requests. body: longest wait for the next body bytes; after that long
  // the body must also average min_body_bytes_per_second. write: longest wait for the client
  // to take the next response bytes.
  int header_timeout_seconds = 10;
  int idle_timeout_seconds = 60;
  int body_timeout_seconds = 30;
  std::size_t min_body_bytes_per_second = 1024;
  int write_timeout_seconds = 30;
  int max_connections = 20000;
  // Loopback clients (jobs, tests, the CLI) share 127.0.0.1, hence the generous default.
  int max_connections_per_address = 1024;
  int io_threads = 2;
  int worker_threads = 16;
  std::size_t worker_queue = 1024;
  std::string staging_dir;  // where streamed bodies are written
  // PEM files; both set = HTTPS only (TLS 1.2 with ECDHE + AEAD suites, or TLS 1.3).
  std::string tls_cert;
  std::string tls_key;
  // Called once per finished request (for the access log and metrics).
  std::function<void(const Request&, const Response&, double millis)> on_request;
};

// Gauges and counters of the front door, for /metrics.
struct ServerStats {
  int open_connections = 0;
  int idle_connections = 0;
  int worker_threads = 0;
  std::size_t worker_queue_capacity = 0;
  std::size_t worker_queue_depth = 0;
  int workers_busy = 0;
  std::uint64_t busy_rejections = 0;      // 503 because the worker queue was full
  std::uint64_t connections_refused = 0;  // at a connection cap with none idle to close
  std::uint64_t idle_evictions = 0;       // idle connections closed to admit a new one
  std::uint64_t timeouts = 0;             // connections closed by a deadline
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, const Router& router);
  ~HttpServer();
  // Binds and starts the I/O threads. Fails if the address is in use or TLS files are bad.
  Status Start();
  int port() const;
  ServerStats Stats() const;
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlws::http
