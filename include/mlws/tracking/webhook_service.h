// WebhookService: MLflow 3 model-registry webhooks (CRUD) and the delivery allow-list.
//
// mlws stores webhooks and checks them but does not deliver events yet. A webhook's URL must be
// http(s); delivery (today only the test route) is allowed only to hosts on the allow-list the
// server's operator sets (MLWS_WEBHOOK_ALLOWED_HOSTS, comma-separated host names; empty = none).
// The secret is stored and never returned.
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
                 std::vector<std::string> allowed_hosts)
      : store_(store), tracking_(tracking), allowed_hosts_(std::move(allowed_hosts)) {}

  StatusOr<nlohmann::json> Create(const std::string& ws, const WebhookInput& in);
  StatusOr<nlohmann::json> Get(const std::string& ws, const std::string& id);
  // {"webhooks": [...], "next_page_token": ...}
  StatusOr<nlohmann::json> List(const std::string& ws, std::int64_t max_results,
                                const std::string& page_token);
  StatusOr<nlohmann::json> Update(const std::string& ws, const std::string& id,
                                  const WebhookInput& in);
  Status Delete(const std::string& ws, const std::string& id);
  // The WebhookTestResult: success=false with the reason when the host is not allowed (nothing
  // is sent), or because delivery is not implemented.
  StatusOr<nlohmann::json> Test(const std::string& ws, const std::string& id);
  // True when delivery to `url` is allowed.
  bool DeliveryAllowed(const std::string& url) const;

 private:
  store::MetadataStore& store_;
  TrackingService& tracking_;
  std::vector<std::string> allowed_hosts_;
};

}  // namespace mlws::tracking
