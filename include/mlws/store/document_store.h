// DocumentStore: a table of JSON documents of one MLflow 3 resource kind, per workspace:
// registry webhooks (their Webhook wire form plus the secret the service never renders) and
// GenAI evaluation datasets (the Dataset wire form, its experiment ids and its records). The
// service layer owns each document's shape; the store only persists it.
//
// Thread-safe; writes are durable on return. Errors: NotFound (unknown id in the workspace, with
// the message the resource's store was built with), Internal.
#pragma once

#include <cstdint>
#include <functional>
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
  // Read-modify-write as one step: `mutate` gets the stored record and returns the new document
  // (or an error, which writes nothing and comes back). The write is conditional on the document
  // not having changed since it was read; on a conflict (another writer, e.g. another server on
  // the same database) the read and `mutate` are repeated, so no concurrent update is lost.
  // `mutate` may run more than once. NotFound when the id is unknown.
  using Mutation = std::function<StatusOr<std::string>(const DocumentRecord&)>;
  virtual Status Update(std::int64_t workspace_id, const std::string& id,
                        const Mutation& mutate) = 0;
};

}  // namespace mlws::store
