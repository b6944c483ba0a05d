// TraceV3Service: MLflow 3 (v3) traces and their assessments (service layer).
//
// A trace is handled in its MLflow wire form, the TraceInfoV3 JSON (trace_id "tr-...",
// trace_location, request_time as an RFC 3339 string, execution_duration as "1.5s", state,
// trace_metadata and tags as JSON objects, assessments). The client keeps its own trace id. Span
// data is not sent here: the client uploads it to the trace's artifact location (the
// "mlflow.artifactLocation" tag this service sets, "<experiment artifacts>/traces/<id>/artifacts",
// served by the artifact proxy); span.<field> filters read it back from there.
//
// Thread-safe. Errors: unknown experiment/trace/assessment/run -> NotFound (404); bad filters,
// ids, payloads -> InvalidArgument (400) naming the problem; a trace info over
// kMaxTraceInfoBytes -> PayloadTooLarge (413). Each write is one store transaction.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlws/artifacts/artifact_store.h"
#include "mlws/common/status.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/otlp.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::tracking {

inline constexpr size_t kMaxTraceInfoBytes = 1 << 20;        // 1 MiB of TraceInfo JSON
inline constexpr size_t kMaxTraceSpansFileBytes = 64 << 20;  // span files read for filters
inline constexpr std::int64_t kMaxSearchTracesV3Results = 500;
inline constexpr size_t kMaxOtlpBodyBytes = 16 << 20;  // one OTLP export request
inline constexpr size_t kMaxBatchGetTraces = 100;      // ids per traces/batchGet
inline constexpr size_t kMaxTracePreviewChars = 1000;  // request/response previews

struct SearchTracesV3Request {
  std::vector<std::string> experiment_ids;
  std::string filter;
  std::int64_t max_results = 100;
  std::vector<std::string> order_by;
  std::string page_token;
};

class TraceV3Service {
 public:
  TraceV3Service(store::MetadataStore& store, TrackingService& tracking,
                 artifacts::ArtifactStore& artifacts)
      : store_(store), tracking_(tracking), artifacts_(artifacts) {}

  // Creates (or replaces, when the client sends the finished trace again) the trace; returns
  // the stored TraceInfoV3.
  StatusOr<nlohmann::json> StartTrace(const std::string& ws, nlohmann::json trace_info);
  StatusOr<nlohmann::json> GetTraceInfo(const std::string& ws, const std::string& trace_id);
  // True when the id names a v3 trace of the workspace (the v2 tag/delete routes serve both).
  bool Exists(const std::string& ws, const std::string& trace_id);
  // {"traces": [...], "next_page_token": ...}
  StatusOr<nlohmann::json> Search(const std::string& ws, const SearchTracesV3Request& req);
  StatusOr<std::int64_t> Delete(const std::string& ws, const std::string& experiment_id,
                                const std::vector<std::string>& trace_ids,
                                std::optional<std::int64_t> max_timestamp_millis,
                                std::optional<std::int64_t> max_traces);
  Status SetTag(const std::string& ws, const std::string& trace_id, const KeyValue& tag);
  Status DeleteTag(const std::string& ws, const std::string& trace_id, const std::string& key);
  Status LinkToRun(const std::string& ws, const std::vector<std::string>& trace_ids,
                   const std::string& run_id);

  // OTLP ingest (trace_v3_otlp.cc): the spans, grouped by trace, are merged (by span id) into
  // each trace's span file; a trace not yet known is created in `experiment_id` (404 if that
  // experiment does not exist) with the "mlflow.trace.spansLocation" tag TRACKING_STORE, its
  // request time, duration, state and previews following its spans. A trace's merged span file
  // over kMaxTraceSpansFileBytes is PayloadTooLarge. Everything is checked before the first
  // write. With `run_id`, traces whose root span arrived are linked to that run.
  Status IngestOtlp(const std::string& ws, const std::string& experiment_id,
                    const std::string& run_id, const std::vector<OtlpSpan>& spans);
  // {"trace_info": ..., "spans": [...]}: the spans as OTLP Span messages in protobuf JSON
  // (ids base64, attributes as typed AnyValues), as MLflow's traces/get answers.
  StatusOr<nlohmann::json> GetTrace(const std::string& ws, const std::string& trace_id);
  // The traces among `trace_ids` that exist (and, when given, are in `experiment_ids`).
  StatusOr<nlohmann::json> BatchGetTraces(const std::string& ws,
                                          const std::vector<std::string>& trace_ids,
                                          const std::optional<std::vector<std::string>>& exps);

  StatusOr<nlohmann::json> CreateAssessment(const std::string& ws, const std::string& trace_id,
                                            nlohmann::json assessment);
  StatusOr<nlohmann::json> GetAssessment(const std::string& ws, const std::string& trace_id,
                                         const std::string& assessment_id);
  // Replaces the fields named in `paths` (update_mask; empty = every field given).
  StatusOr<nlohmann::json> UpdateAssessment(const std::string& ws, const std::string& trace_id,
                                            const std::string& assessment_id,
                                            const nlohmann::json& changes,
                                            const std::vector<std::string>& paths);
  Status DeleteAssessment(const std::string& ws, const std::string& trace_id,
                          const std::string& assessment_id);

 private:
  StatusOr<store::TraceV3Record> Mutate(const std::string& ws, const std::string& trace_id,
                                        const std::function<Status(nlohmann::json& doc)>& fn);
  // The spans of a trace from its artifact location (empty when none were uploaded).
  nlohmann::json LoadSpans(std::int64_t workspace_id, const nlohmann::json& info);
  // The artifact-store path of a trace's span file ("" when its location is not the proxy's).
  std::string SpansPath(std::int64_t workspace_id, const nlohmann::json& info);

  store::MetadataStore& store_;
  TrackingService& tracking_;
  artifacts::ArtifactStore& artifacts_;
};

// RFC 3339 "2025-01-02T03:04:05.678Z" (any fraction, Z or +hh:mm) <-> epoch ms.
StatusOr<std::int64_t> ParseRfc3339Millis(const std::string& s);
std::string FormatRfc3339Millis(std::int64_t ms);
// Protobuf-JSON Duration "1.5s" -> ms.
StatusOr<std::int64_t> ParseDurationMillis(const std::string& s);

}  // namespace mlws::tracking
