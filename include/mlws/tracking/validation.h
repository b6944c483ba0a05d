// Input validation for the tracking API, with MLflow's limits and messages
// (mlflow/utils/validation.py). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/tracking/entities.h"

namespace mlws::tracking {

inline constexpr size_t kMaxMetricsPerBatch = 1000;
inline constexpr size_t kMaxParamsTagsPerBatch = 100;
inline constexpr size_t kMaxEntitiesPerBatch = 1000;
inline constexpr size_t kMaxBatchRequestBytes = 1000000;
inline constexpr size_t kMaxParamValueLength = 6000;
inline constexpr size_t kMaxTagValueLength = 8000;
inline constexpr size_t kMaxEntityKeyLength = 250;
inline constexpr size_t kMaxExperimentNameLength = 500;
inline constexpr size_t kMaxExperimentTagKeyLength = 250;
inline constexpr size_t kMaxExperimentTagValueLength = 5000;
inline constexpr size_t kMaxDatasetsPerLogInputs = 1000;
inline constexpr std::int64_t kMaxSearchRunsResults = 50000;
inline constexpr std::int64_t kMaxSearchExperimentsResults = 50000;

// `kind` is "metric", "param" or "tag" (used in messages).
Status ValidateEntityKey(std::string_view kind, std::string_view key);
Status ValidateParam(const KeyValue& p);
Status ValidateTag(const KeyValue& t);
Status ValidateMetric(const Metric& m);
Status ValidateExperimentName(std::string_view name);
Status ValidateExperimentTag(const KeyValue& t);
Status ValidateBatchLimits(size_t metrics, size_t params, size_t tags);
Status ValidateDatasetInput(const DatasetInput& in);
// Workspace names: 1-64 chars of [a-z0-9_-], starting with a letter or digit.
Status ValidateWorkspaceName(std::string_view name);

}  // namespace mlws::tracking
