// ExperimentStore: persistence of experiments and their tags, scoped by workspace id.
// Thread-safe. Writes are durable when the call returns OK (committed, WAL fsynced).
// Errors: NotFound (unknown id/name in that workspace), AlreadyExists (name taken), Internal.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/tracking/entities.h"
#include "mlws/tracking/search_filter.h"

namespace mlws::store {

struct ExperimentQuery {
  std::int64_t workspace_id = 0;
  std::vector<tracking::Clause> filter;
  std::vector<tracking::OrderBy> order_by;
  tracking::ViewType view = tracking::ViewType::kActiveOnly;
  std::int64_t offset = 0;
  std::int64_t limit = 1000;  // the store fetches limit+1 to tell whether more exist
};

struct ExperimentPage {
  std::vector<tracking::Experiment> experiments;
  bool has_more = false;
};

class ExperimentStore {
 public:
  virtual ~ExperimentStore() = default;
  // `artifact_location` may contain "{id}", replaced by the new experiment id.
  virtual StatusOr<tracking::Experiment> CreateExperiment(
      std::int64_t workspace_id, const std::string& name, const std::string& artifact_location,
      const std::vector<tracking::KeyValue>& tags) = 0;
  virtual StatusOr<tracking::Experiment> GetExperiment(std::int64_t workspace_id,
                                                       const std::string& experiment_id) = 0;
  virtual StatusOr<tracking::Experiment> GetExperimentByName(std::int64_t workspace_id,
                                                             const std::string& name) = 0;
  virtual StatusOr<ExperimentPage> SearchExperiments(const ExperimentQuery& query) = 0;
  virtual Status RenameExperiment(std::int64_t workspace_id, const std::string& experiment_id,
                                  const std::string& new_name) = 0;
  // Marks the experiment and its runs deleted / active again.
  virtual Status SetExperimentLifecycle(std::int64_t workspace_id, const std::string& experiment_id,
                                        tracking::LifecycleStage stage) = 0;
  virtual Status SetExperimentTag(std::int64_t workspace_id, const std::string& experiment_id,
                                  const tracking::KeyValue& tag) = 0;
  // NotFound when the experiment has no such tag (MLflow 3 delete-experiment-tag).
  virtual Status DeleteExperimentTag(std::int64_t workspace_id, const std::string& experiment_id,
                                     const std::string& key) = 0;
};

}  // namespace mlws::store
