// The SQL JobStore: jobs and computes, over the SqliteStore's DbContext (job_store.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlws/store/job_store.h"
#include "store/sqlite/db_context.h"
#include "store/sqlite/lease_store.h"

namespace mlws::store::sqlite {

class SqliteJobStore final : public JobStore, private SqliteResourceStore {
 public:
  // A new job is leased to this server in the transaction that creates it (`leases`).
  SqliteJobStore(DbContext& ctx, SqliteLeaseStore& leases)
      : SqliteResourceStore(ctx), leases_(leases) {}

  Status CreateJob(const jobs::Job& job) override;
  StatusOr<jobs::Job> GetJob(std::int64_t workspace_id, const std::string& name) override;
  StatusOr<std::vector<jobs::Job>> ListJobs(std::int64_t workspace_id,
                                            bool include_archived) override;
  StatusOr<std::vector<jobs::Job>> ListActiveJobs() override;
  Status UpdateJobs(const std::vector<jobs::Job>& jobs) override;
  Status SetJobArchived(std::int64_t workspace_id, const std::string& name, bool archived) override;
  Status CreateCompute(const jobs::Compute& compute) override;
  Status ReplaceCompute(const jobs::Compute& compute) override;
  StatusOr<jobs::Compute> GetCompute(std::int64_t workspace_id, const std::string& name) override;
  StatusOr<std::vector<jobs::Compute>> ListComputes(std::int64_t workspace_id) override;
  Status DeleteCompute(std::int64_t workspace_id, const std::string& name) override;

 private:
  SqliteLeaseStore& leases_;
};

}  // namespace mlws::store::sqlite
