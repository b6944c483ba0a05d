// TraceStore: persistence of MLflow trace infos (the span data lives in the artifact store).
// Thread-safe; writes durable on return. Errors: NotFound, InvalidArgument, Internal.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/tracking/entities.h"
#include "mlws/tracking/search_filter.h"

namespace mlws::store {

struct TraceQuery {
  std::int64_t workspace_id = 0;
  std::vector<std::string> experiment_ids;
  std::vector<tracking::Clause> filter;  // tag clauses and the attributes status, timestamp_ms
  bool order_ascending = false;          // by timestamp_ms; MLflow's default is newest first
  std::int64_t offset = 0;
  std::int64_t limit = 100;
};

struct TraceDelete {
  std::int64_t workspace_id = 0;
  std::string experiment_id;
  std::optional<std::int64_t> max_timestamp_millis;
  std::optional<std::int64_t> max_traces;
  std::vector<std::string> request_ids;
};

class TraceStore {
 public:
  virtual ~TraceStore() = default;
  virtual StatusOr<tracking::TraceInfo> StartTrace(std::int64_t workspace_id,
                                                   const tracking::TraceInfo& info) = 0;
  virtual StatusOr<tracking::TraceInfo> EndTrace(std::int64_t workspace_id,
                                                 const tracking::TraceInfo& update) = 0;
  virtual StatusOr<tracking::TraceInfo> GetTraceInfo(std::int64_t workspace_id,
                                                     const std::string& request_id) = 0;
  // Returns up to limit+1 traces so the caller can tell whether more exist.
  virtual StatusOr<std::vector<tracking::TraceInfo>> SearchTraces(const TraceQuery& query) = 0;
  virtual StatusOr<std::int64_t> DeleteTraces(const TraceDelete& request) = 0;
  virtual Status SetTraceTag(std::int64_t workspace_id, const std::string& request_id,
                             const tracking::KeyValue& tag) = 0;
  virtual Status DeleteTraceTag(std::int64_t workspace_id, const std::string& request_id,
                                const std::string& key) = 0;
};

}  // namespace mlws::store
