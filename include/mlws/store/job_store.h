// JobStore: persistence of jobs and computes. Stores only persist; validation and state
// transitions live in jobs::JobService. Thread-safe; writes are durable on return.
//
// A job's run (tracking) is created by the service before CreateJob; CreateJob and UpdateJobs
// also write that run's status and end time in the same transaction, so a job and its run never
// disagree. Errors: NotFound, AlreadyExists (job or compute name taken), Internal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/jobs/job.h"

namespace mlws::store {

class JobStore {
 public:
  virtual ~JobStore() = default;

  virtual Status CreateJob(const jobs::Job& job) = 0;
  virtual StatusOr<jobs::Job> GetJob(std::int64_t workspace_id, const std::string& name) = 0;
  // Newest first.
  virtual StatusOr<std::vector<jobs::Job>> ListJobs(std::int64_t workspace_id,
                                                    bool include_archived) = 0;
  // Queued and Running jobs of every workspace, oldest first (for the scheduler at start).
  virtual StatusOr<std::vector<jobs::Job>> ListActiveJobs() = 0;
  // Writes the state part of each job (status, times, exit code, error, process ids, …) and the
  // status / end time of its run, all in one transaction.
  virtual Status UpdateJobs(const std::vector<jobs::Job>& jobs) = 0;
  virtual Status SetJobArchived(std::int64_t workspace_id, const std::string& name,
                                bool archived) = 0;

  virtual Status CreateCompute(const jobs::Compute& compute) = 0;
  virtual Status ReplaceCompute(const jobs::Compute& compute) = 0;
  virtual StatusOr<jobs::Compute> GetCompute(std::int64_t workspace_id,
                                             const std::string& name) = 0;
  virtual StatusOr<std::vector<jobs::Compute>> ListComputes(std::int64_t workspace_id) = 0;
  virtual Status DeleteCompute(std::int64_t workspace_id, const std::string& name) = 0;
};

}  // namespace mlws::store
