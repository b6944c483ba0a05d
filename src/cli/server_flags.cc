#include "cli/server_flags.h"

namespace mlws::cli {

void AddFrontDoorOptions(CLI::App* srv, server::Config& cfg) {
  auto positive = CLI::Range(1, 86400);
  srv->add_option("--header-timeout", cfg.header_timeout_s,
                  "Seconds a request header may take from its first byte (and a new connection "
                  "or TLS handshake from accept)")
      ->check(positive)
      ->capture_default_str();
  srv->add_option("--idle-timeout", cfg.idle_timeout_s,
                  "Seconds a keep-alive connection may stay idle between requests")
      ->check(positive)
      ->capture_default_str();
  srv->add_option("--body-timeout", cfg.body_timeout_s,
                  "Seconds a request body may go without sending bytes")
      ->check(positive)
      ->capture_default_str();
  srv->add_option("--min-body-rate", cfg.min_body_rate,
                  "Bytes per second a body must average once it has taken --body-timeout")
      ->capture_default_str();
  srv->add_option("--write-timeout", cfg.write_timeout_s,
                  "Seconds a client may go without taking response bytes")
      ->check(positive)
      ->capture_default_str();
  srv->add_option("--max-connections", cfg.max_connections, "Open connections, in all")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  srv->add_option("--max-connections-per-address", cfg.max_connections_per_address,
                  "Open connections from one client address")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  srv->add_option("--io-threads", cfg.io_threads, "Threads doing network I/O")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  srv->add_option("--worker-threads", cfg.worker_threads, "Threads running request handlers")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  srv->add_option("--worker-queue", cfg.worker_queue,
                  "Requests that may wait for a worker thread before new ones get 503")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  srv->add_option("--store-write-queue", cfg.store_write_queue,
                  "Writes that may wait for the store's writer before new ones get 503")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  srv->add_option("--allowed-origin", cfg.allowed_origins,
                  "An origin besides the server's own that may send state-changing requests, "
                  "e.g. https://ml.example.com (repeatable)");
}

}  // namespace mlws::cli
