// WorkspaceStore: persistence of workspaces. Thread-safe; every method may be called concurrently.
// Errors: NotFound for unknown names, AlreadyExists for duplicates, Internal for storage failures.
#pragma once

#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/tracking/entities.h"

namespace mlws::store {

class WorkspaceStore {
 public:
  virtual ~WorkspaceStore() = default;
  // Creates the workspace and its "Default" experiment (id "0") in one transaction.
  virtual StatusOr<tracking::Workspace> CreateWorkspace(const std::string& name,
                                                        const std::string& description) = 0;
  virtual StatusOr<tracking::Workspace> GetWorkspace(const std::string& name) = 0;
  virtual StatusOr<std::vector<tracking::Workspace>> ListWorkspaces() = 0;
  // Deletes the workspace with all its experiments, runs and traces.
  virtual Status DeleteWorkspace(const std::string& name) = 0;
};

}  // namespace mlws::store
