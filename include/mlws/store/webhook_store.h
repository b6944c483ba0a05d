// WebhookStore: persistence of MLflow 3 model-registry webhooks, one JSON document each (the
// Webhook wire form plus its secret, which the service never renders). Thread-safe; writes are
// durable on return. Errors: NotFound (unknown id in the workspace), Internal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::store {

struct WebhookRecord {
  std::string webhook_id;
  std::int64_t creation_ms = 0;
  std::string doc;
};

class WebhookStore {
 public:
  virtual ~WebhookStore() = default;
  // Inserts or replaces.
  virtual Status PutWebhook(std::int64_t workspace_id, const WebhookRecord& w) = 0;
  virtual StatusOr<WebhookRecord> GetWebhook(std::int64_t workspace_id,
                                             const std::string& webhook_id) = 0;
  // Oldest first.
  virtual StatusOr<std::vector<WebhookRecord>> ListWebhooks(std::int64_t workspace_id) = 0;
  virtual Status DeleteWebhook(std::int64_t workspace_id, const std::string& webhook_id) = 0;
};

}  // namespace mlws::store
