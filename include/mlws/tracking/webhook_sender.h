// WebhookSender: delivers MLflow 3 webhook events over HTTP(S), off the request path.
//
// Wire format (MLflow 3's, mlflow/webhooks/delivery.py): a POST with the JSON body
//   {"entity": ..., "action": ..., "timestamp": "<ISO 8601, UTC>", "data": {...}}
// (entity and action in lower case, e.g. "model_version", "created", as MLflow sends them)
// and the headers Content-Type: application/json, X-MLflow-Delivery-Id (a UUID),
// X-MLflow-Timestamp (Unix seconds) and, when the webhook has a secret, X-MLflow-Signature:
// "v1," + base64(HMAC-SHA256(secret, "<delivery id>.<timestamp>.<body>")).
//
// Enqueue() never blocks: events wait in a bounded queue that one delivery thread drains; a
// full queue drops the event and counts it. Each delivery is retried on a transport error or a
// 429/5xx answer, with exponential backoff. Redirects are not followed and proxies from the
// environment are not used, so a request reaches only the URL's own host (which the caller
// checked against the allow-list). Secrets are never logged.
//
// Thread-safe. The destructor stops the thread; events still queued are not delivered.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

namespace mlws::tracking {

struct WebhookMessage {
  std::string url;
  std::string secret;  // empty = unsigned
  std::string entity;  // e.g. MODEL_VERSION
  std::string action;  // e.g. CREATED
  nlohmann::json data;
};

// What one attempt gave: the HTTP status and body, or the transport error.
struct WebhookAttempt {
  std::optional<int> status;
  std::string body;  // at most 64 KiB
  std::string error;
};

class WebhookSender {
 public:
  struct Options {
    std::size_t queue_capacity = 1000;
    long timeout_ms = 30000;         // per attempt (MLflow's MLFLOW_WEBHOOK_REQUEST_TIMEOUT)
    int max_retries = 3;             // attempts after the first
    std::int64_t backoff_ms = 1000;  // doubles after each retry, at most 60 s
  };
  explicit WebhookSender(Options options);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Queues the event for the delivery thread; false (and counted) when the queue is full.
  bool Enqueue(WebhookMessage m);
  // One attempt now, on the caller's thread (the test route).
  WebhookAttempt SendNow(const WebhookMessage& m) const;
  // Prometheus series: delivered, failed (after retries), dropped (queue full), queued.
  std::string RenderMetrics() const;

  // The signature header's value for a body (exposed for tests).
  static std::string Signature(const std::string& secret, const std::string& delivery_id,
                               const std::string& timestamp, const std::string& body);

 private:
  void Run();
  Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WebhookMessage> queue_;  // guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  std::uint64_t delivered_ = 0;       // guarded by mu_
  std::uint64_t failed_ = 0;          // guarded by mu_
  std::uint64_t dropped_ = 0;         // guarded by mu_
  std::thread thread_;
};

}  // namespace mlws::tracking
