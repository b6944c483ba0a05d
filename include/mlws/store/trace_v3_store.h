// TraceV3Store: persistence of MLflow 3 (v3) trace infos with their assessments.
//
// A trace is one document: its TraceInfo (v3) JSON, assessments included, next to the columns
// needed to find it (id, experiment, request time). Span data lives in the artifact store (under
// the trace's artifact location), not here. The service layer owns the document's shape.
// UpdateTrace is read-modify-write in ONE write transaction.
//
// Thread-safe; writes are durable on return. Errors: NotFound (unknown experiment or trace in
// the workspace), AlreadyExists, Internal.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::store {

struct TraceV3Record {
  std::string trace_id;
  std::string experiment_id;
  std::int64_t request_time_ms = 0;
  std::string doc;  // the TraceInfo (v3) JSON
};

class TraceV3Store {
 public:
  using Mutator = std::function<Status(TraceV3Record&)>;
  virtual ~TraceV3Store() = default;
  // Inserts or replaces the trace (a client may start a trace and later send it whole).
  virtual Status PutTrace(std::int64_t workspace_id, const TraceV3Record& t) = 0;
  virtual StatusOr<TraceV3Record> GetTrace(std::int64_t workspace_id,
                                           const std::string& trace_id) = 0;
  virtual StatusOr<TraceV3Record> UpdateTrace(std::int64_t workspace_id,
                                              const std::string& trace_id, const Mutator& fn) = 0;
  // Traces of the experiments, newest first.
  virtual StatusOr<std::vector<TraceV3Record>> ListTraces(
      std::int64_t workspace_id, const std::vector<std::string>& experiment_ids) = 0;
  // Deletes the named traces of the experiment, or (no ids) those older than
  // max_timestamp_millis, oldest first, at most max_traces. Returns how many went.
  virtual StatusOr<std::int64_t> DeleteTraces(std::int64_t workspace_id,
                                              const std::string& experiment_id,
                                              const std::vector<std::string>& trace_ids,
                                              std::optional<std::int64_t> max_timestamp_millis,
                                              std::optional<std::int64_t> max_traces) = 0;
};

}  // namespace mlws::store
