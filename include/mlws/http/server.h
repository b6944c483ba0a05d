// HttpServer: HTTP/1.1 server on Boost.Beast (kept inside src/http/server.cc only).
//
// One thread per connection with blocking I/O: simple, and handlers may block on the store's
// group commit without starving other connections. Keep-alive, chunked bodies and
// "Expect: 100-continue" are supported. Bodies above a route's limit get 413; bodies of
// streaming routes are written to the route's staging folder and never held in memory.
//
// Stop() is graceful: it stops accepting, closes idle keep-alive connections and waits for the
// requests in flight to finish. Thread-safe: Stop() may be called from any thread.
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
  int idle_timeout_seconds = 120;
  int max_connections = 1000;
  std::string staging_dir;  // where streamed bodies are written
  // PEM files; both set = HTTPS only (TLS 1.2+).
  std::string tls_cert;
  std::string tls_key;
  // Called once per finished request (for the access log and metrics).
  std::function<void(const Request&, const Response&, double millis)> on_request;
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, const Router& router);
  ~HttpServer();
  // Binds and starts accepting in a background thread. Fails if the address is in use.
  Status Start();
  int port() const;
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlws::http
