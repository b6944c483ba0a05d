// LoggedModelStore: persistence of MLflow 3 logged models and their links to runs.
//
// A logged model is kept as one document: its MLflow wire form (LoggedModel JSON: info + data),
// written and read whole, next to the few columns the store needs to find it (id, experiment,
// deletion). The service layer owns the document's shape and validation; the store only
// persists it. Updates are read-modify-write inside ONE write transaction (UpdateLoggedModel), so
// concurrent tag/param/metric writes to one model never lose each other and a failed update
// changes nothing.
//
// Thread-safe; writes are durable on return. Errors: NotFound (unknown experiment or model in
// the workspace; a deleted model is NotFound unless asked for), InvalidArgument, Internal.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::store {

struct LoggedModelRecord {
  std::string model_id;
  std::string experiment_id;
  bool deleted = false;
  std::int64_t creation_ms = 0;
  std::string doc;  // the LoggedModel JSON
};

// A model a run consumed (input) or produced (output, with the step it was logged at).
struct RunModelLink {
  std::string model_id;
  bool output = true;
  std::int64_t step = 0;
};

class LoggedModelStore {
 public:
  using Mutator = std::function<Status(LoggedModelRecord&)>;
  virtual ~LoggedModelStore() = default;
  // NotFound if the experiment is not in the workspace; AlreadyExists on a duplicate id.
  virtual Status CreateLoggedModel(std::int64_t workspace_id, const LoggedModelRecord& m) = 0;
  virtual StatusOr<LoggedModelRecord> GetLoggedModel(std::int64_t workspace_id,
                                                     const std::string& model_id,
                                                     bool allow_deleted) = 0;
  // Reads the model, lets `fn` change it (doc and/or deleted) and writes it back, all in one
  // transaction; an error from `fn` aborts the update. Returns the record as written.
  virtual StatusOr<LoggedModelRecord> UpdateLoggedModel(std::int64_t workspace_id,
                                                        const std::string& model_id,
                                                        const Mutator& fn) = 0;
  // Models of the experiments that are not deleted, oldest first.
  virtual StatusOr<std::vector<LoggedModelRecord>> ListLoggedModels(
      std::int64_t workspace_id, const std::vector<std::string>& experiment_ids) = 0;
  // Records run -> model links (idempotent); the run and models must exist in the workspace.
  virtual Status LinkRunModels(std::int64_t workspace_id, const std::string& run_id,
                               const std::vector<RunModelLink>& links) = 0;
  virtual StatusOr<std::vector<RunModelLink>> RunModelLinks(std::int64_t workspace_id,
                                                            const std::string& run_id) = 0;
};

}  // namespace mlws::store
