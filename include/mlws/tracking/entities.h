// Value types of the tracking domain: workspaces, experiments, runs, metrics, datasets, traces.
//
// Plain structs, copyable, no behaviour. Field names follow the MLflow protos (service.proto) so
// the JSON mapping in tracking/json_codec is mechanical. Times are epoch milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlws::tracking {

struct KeyValue {
  std::string key;
  std::string value;
};

struct Workspace {
  std::int64_t id = 0;
  std::string name;
  std::string description;
  std::int64_t creation_time = 0;
};

enum class LifecycleStage { kActive, kDeleted };
enum class ViewType { kActiveOnly, kDeletedOnly, kAll };

struct Experiment {
  std::int64_t rowid = 0;  // store-internal, global
  std::int64_t workspace_id = 0;
  std::string experiment_id;  // decimal, unique within the workspace ("0" = Default)
  std::string name;
  std::string artifact_location;
  LifecycleStage lifecycle_stage = LifecycleStage::kActive;
  std::int64_t creation_time = 0;
  std::int64_t last_update_time = 0;
  std::vector<KeyValue> tags;
};

enum class RunStatus { kRunning, kScheduled, kFinished, kFailed, kKilled };

struct Metric {
  std::string key;
  double value = 0;
  std::int64_t timestamp = 0;
  std::int64_t step = 0;
};

// One point of a metric's history, without its key (histories hold millions of these).
struct MetricPoint {
  std::int64_t step = 0;
  std::int64_t timestamp = 0;
  double value = 0;
};

struct Dataset {
  std::string name;
  std::string digest;
  std::string source_type;
  std::string source;
  std::string schema;
  std::string profile;
};

struct DatasetInput {
  std::vector<KeyValue> tags;
  Dataset dataset;
};

struct RunInfo {
  std::int64_t rowid = 0;  // store-internal
  std::string run_id;
  std::string run_name;
  std::string experiment_id;
  std::string user_id;
  RunStatus status = RunStatus::kRunning;
  std::int64_t start_time = 0;
  std::optional<std::int64_t> end_time;
  std::string artifact_uri;
  LifecycleStage lifecycle_stage = LifecycleStage::kActive;
};

struct Run {
  RunInfo info;
  std::vector<Metric> metrics;  // latest value per key
  std::vector<KeyValue> params;
  std::vector<KeyValue> tags;
  std::vector<DatasetInput> inputs;
};

enum class TraceStatus { kUnspecified, kOk, kError, kInProgress };

struct TraceInfo {
  std::string request_id;
  std::string experiment_id;
  std::int64_t timestamp_ms = 0;
  std::int64_t execution_time_ms = 0;
  TraceStatus status = TraceStatus::kUnspecified;
  std::vector<KeyValue> request_metadata;
  std::vector<KeyValue> tags;
};

// String forms used on the wire.
const char* RunStatusName(RunStatus s);
std::optional<RunStatus> ParseRunStatus(std::string_view s);
const char* LifecycleName(LifecycleStage s);
const char* TraceStatusName(TraceStatus s);
std::optional<TraceStatus> ParseTraceStatus(std::string_view s);
std::optional<ViewType> ParseViewType(std::string_view s);

}  // namespace mlws::tracking
