// WebhookService: MLflow 3 model-registry webhooks (CRUD) and the delivery allow-list.
//
// A webhook's URL must be http(s). Events (Notify) and the test route are delivered through a
// WebhookSender, and only to hosts on the allow-list the server's operator sets
// (MLWS_WEBHOOK_ALLOWED_HOSTS, comma-separated host names; empty = none): a webhook whose host is
// not on it is stored but never contacted. The secret is stored and never returned or logged.
//
// Thread-safe. Errors: unknown id -> NotFound (404); bad name/url/events/status ->
// InvalidArgument (400).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/tracking_service.h"
#include "mlws/tracking/webhook_sender.h"

namespace mlws::tracking {

struct WebhookInput {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> url;
  std::optional<nlohmann::json> events;  // [{"entity": ..., "action": ...}]
  std::optional<std::string> secret;
  std::optional<std::string> status;  // ACTIVE | DISABLED
};

class WebhookService {
 public:
  WebhookService(store::MetadataStore& store, TrackingService& tracking,
                 std::vector<std::string> allowed_hosts, WebhookSender* sender = nullptr)
      : store_(store),
        tracking_(tracking),
        allowed_hosts_(std::move(allowed_hosts)),
        sender_(sender) {}

  StatusOr<nlohmann::json> Create(const std::string& ws, const WebhookInput& in);
  StatusOr<nlohmann::json> Get(const std::string& ws, const std::string& id);
  // {"webhooks": [...], "next_page_token": ...}
  StatusOr<nlohmann::json> List(const std::string& ws, std::int64_t max_results,
                                const std::string& page_token);
  StatusOr<nlohmann::json> Update(const std::string& ws, const std::string& id,
                                  const WebhookInput& in);
  Status Delete(const std::string& ws, const std::string& id);
  // Sends MLflow's example payload for `event` ({entity, action}; null = the webhook's first
  // event) now and answers the WebhookTestResult: success (status < 400), response_status,
  // response_body, or success=false with error_message (host not allowed: nothing is sent).
  StatusOr<nlohmann::json> Test(const std::string& ws, const std::string& id,
                                const nlohmann::json& event);
  // Queues `data` for every ACTIVE webhook of workspace `ws` subscribed to entity.action whose
  // host is allowed. Never blocks and never fails the caller (problems are logged, counted).
  void Notify(const std::string& ws, const std::string& entity, const std::string& action,
              const nlohmann::json& data);
  // False when no event can be delivered (no sender or an empty allow-list): callers skip
  // building the event.
  bool Enabled() const { return sender_ != nullptr && !allowed_hosts_.empty(); }
  // True when delivery to `url` is allowed.
  bool DeliveryAllowed(const std::string& url) const;

 private:
  store::MetadataStore& store_;
  TrackingService& tracking_;
  std::vector<std::string> allowed_hosts_;
  WebhookSender* sender_;  // null = nothing is delivered
};

}  // namespace mlws::tracking
