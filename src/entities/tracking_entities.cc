#include <string_view>

#include "mlws/tracking/entities.h"

namespace mlws::tracking {

const char* RunStatusName(RunStatus s) {
  switch (s) {
    case RunStatus::kRunning: return "RUNNING";
    case RunStatus::kScheduled: return "SCHEDULED";
    case RunStatus::kFinished: return "FINISHED";
    case RunStatus::kFailed: return "FAILED";
    case RunStatus::kKilled: return "KILLED";
  }
  return "RUNNING";
}

std::optional<RunStatus> ParseRunStatus(std::string_view s) {
  if (s == "RUNNING") return RunStatus::kRunning;
  if (s == "SCHEDULED") return RunStatus::kScheduled;
  if (s == "FINISHED") return RunStatus::kFinished;
  if (s == "FAILED") return RunStatus::kFailed;
  if (s == "KILLED") return RunStatus::kKilled;
  return std::nullopt;
}

const char* LifecycleName(LifecycleStage s) {
  return s == LifecycleStage::kActive ? "active" : "deleted";
}

const char* TraceStatusName(TraceStatus s) {
  switch (s) {
    case TraceStatus::kUnspecified: return "TRACE_STATUS_UNSPECIFIED";
    case TraceStatus::kOk: return "OK";
    case TraceStatus::kError: return "ERROR";
    case TraceStatus::kInProgress: return "IN_PROGRESS";
  }
  return "TRACE_STATUS_UNSPECIFIED";
}

std::optional<TraceStatus> ParseTraceStatus(std::string_view s) {
  if (s == "TRACE_STATUS_UNSPECIFIED") return TraceStatus::kUnspecified;
  if (s == "OK") return TraceStatus::kOk;
  if (s == "ERROR") return TraceStatus::kError;
  if (s == "IN_PROGRESS") return TraceStatus::kInProgress;
  return std::nullopt;
}

std::optional<ViewType> ParseViewType(std::string_view s) {
  if (s == "ACTIVE_ONLY" || s == "1") return ViewType::kActiveOnly;
  if (s == "DELETED_ONLY" || s == "2") return ViewType::kDeletedOnly;
  if (s == "ALL" || s == "3") return ViewType::kAll;
  return std::nullopt;
}

}  // namespace mlws::tracking
