// Webhook delivery over libcurl: the bounded queue, the delivery thread, MLflow's signature.
#include "mlws/tracking/webhook_sender.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <vector>

namespace mlws::tracking {

namespace {

constexpr std::size_t kMaxResponseBody = 64 * 1024;

std::string Uuid4() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string hex;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    hex += fmt::format("{:02x}", b[i]);
  }
  return hex;
}

// Python's datetime.now(timezone.utc).isoformat(): 2026-12-01T15:52:23.123456+00:00.
std::string IsoNowUtc() {
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:06d}+00:00", buf, us % 1000000);
}

std::size_t Collect(char* data, std::size_t size, std::size_t n, void* out) {
  auto* body = static_cast<std::string*>(out);
  std::size_t len = size * n;
  if (body->size() < kMaxResponseBody) {
    body->append(data, std::min(len, kMaxResponseBody - body->size()));
  }
  return len;
}

bool Retryable(const WebhookAttempt& a) {
  if (!a.status) return true;
  int s = *a.status;
  return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

// One delivery's body and headers, built once: retries resend them unchanged (as MLflow's
// urllib3 retries do), so the delivery id and signature stay the same.
struct Prepared {
  std::string body;
  std::vector<std::string> headers;
};

// MLflow's WebhookEntity / WebhookAction values: the REST names in lower case.
std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Prepared Prepare(const WebhookMessage& m) {
  Prepared p;
  nlohmann::json payload = {{"entity", Lower(m.entity)},
                            {"action", Lower(m.action)},
                            {"timestamp", IsoNowUtc()},
                            {"data", m.data}};
  p.body = payload.dump();
  std::string delivery_id = Uuid4();
  std::string ts = std::to_string(std::time(nullptr));
  p.headers = {"Content-Type: application/json", "X-MLflow-Delivery-Id: " + delivery_id,
               "X-MLflow-Timestamp: " + ts, "Expect:"};
  if (!m.secret.empty()) {
    p.headers.push_back("X-MLflow-Signature: " +
                        WebhookSender::Signature(m.secret, delivery_id, ts, p.body));
  }
  return p;
}

WebhookAttempt Post(const std::string& url, const Prepared& p, long timeout_ms) {
  WebhookAttempt out;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    out.error = "cannot start an HTTP client";
    return out;
  }
  curl_slist* headers = nullptr;
  for (const auto& h : p.headers) headers = curl_slist_append(headers, h.c_str());
  char err[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");  // only the URL's own host, never a proxy
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, p.body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(p.body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    out.status = static_cast<int>(code);
  } else {
    out.error = err[0] != '\0' ? err : curl_easy_strerror(rc);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return out;
}

}  // namespace

std::string WebhookSender::Signature(const std::string& secret, const std::string& delivery_id,
                                     const std::string& timestamp, const std::string& body) {
  std::string signed_content = delivery_id + "." + timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_content.data()), signed_content.size(), mac,
       &mac_len);
  std::string b64(4 * ((mac_len + 2) / 3), '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, static_cast<int>(mac_len));
  b64.resize(static_cast<std::size_t>(n));
  return "v1," + b64;
}

WebhookSender::WebhookSender(Options options) : options_(options) {
  thread_ = std::thread([this] { Run(); });
}

WebhookSender::~WebhookSender() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool WebhookSender::Enqueue(WebhookMessage m) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= options_.queue_capacity) {
      ++dropped_;
      return false;
    }
    queue_.push_back(std::move(m));
  }
  cv_.notify_all();
  return true;
}

WebhookAttempt WebhookSender::SendNow(const WebhookMessage& m) const {
  return Post(m.url, Prepare(m), options_.timeout_ms);
}

void WebhookSender::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    WebhookMessage m = std::move(queue_.front());
    queue_.pop_front();
    Prepared prepared = Prepare(m);
    std::int64_t backoff = options_.backoff_ms;
    bool ok = false;
    WebhookAttempt a;
    for (int attempt = 0; !stopping_; ++attempt) {
      lock.unlock();
      a = Post(m.url, prepared, options_.timeout_ms);
      lock.lock();
      if (!Retryable(a)) {
        ok = *a.status < 400;
        break;
      }
      if (attempt >= options_.max_retries) break;
      cv_.wait_for(lock, std::chrono::milliseconds(backoff), [this] { return stopping_; });
      backoff = std::min<std::int64_t>(backoff * 2, 60000);
    }
    if (ok) {
      ++delivered_;
    } else {
      ++failed_;
      // The URL may carry credentials in its query; log only the event and the outcome.
      spdlog::warn("webhook {}.{}: delivery failed: {}", m.entity, m.action,
                   a.status ? fmt::format("HTTP {}", *a.status) : a.error);
    }
  }
}

std::string WebhookSender::RenderMetrics() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  auto counter = [&out](const char* name, const char* help, const char* type, std::uint64_t v) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, v);
  };
  counter("mlws_webhook_deliveries_total", "Webhook events delivered (2xx/3xx answer).", "counter",
          delivered_);
  counter("mlws_webhook_delivery_failures_total", "Webhook events not delivered after all retries.",
          "counter", failed_);
  counter("mlws_webhook_dropped_total", "Webhook events dropped because the queue was full.",
          "counter", dropped_);
  counter("mlws_webhook_queue_depth", "Webhook events waiting for delivery.", "gauge",
          static_cast<std::uint64_t>(queue_.size()));
  return out;
}

}  // namespace mlws::tracking
