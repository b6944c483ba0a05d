// DocumentStore: a table of JSON documents of one MLflow 3 resource kind, per workspace:
// registry webhooks (their Webhook wire form plus the secret the service never renders) and
// GenAI evaluation datasets (the Dataset wire form, its experiment ids and its records). The
// service layer owns each document's shape; the store only persists it.
//
// Thread-safe; writes are durable on return. Errors: NotFound (unknown id in the workspace, with
// the message the resource's store was built with), Internal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::store {

struct DocumentRecord {
  std::string id;
  std::int64_t creation_ms = 0;
  std::string doc;
};

class DocumentStore {
 public:
  virtual ~DocumentStore() = default;
  // Inserts or replaces.
  virtual Status Put(std::int64_t workspace_id, const DocumentRecord& d) = 0;
  virtual StatusOr<DocumentRecord> Get(std::int64_t workspace_id, const std::string& id) = 0;
  // Oldest first.
  virtual StatusOr<std::vector<DocumentRecord>> List(std::int64_t workspace_id) = 0;
  virtual Status Delete(std::int64_t workspace_id, const std::string& id) = 0;
};

}  // namespace mlws::store
