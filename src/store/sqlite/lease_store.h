// The SQL LeaseStore (migrations 16, 17, 18): servers, job leases, cancel requests and resource
// leases. Shares the
// SqliteStore's write queue and reader pool; runs on SQLite and PostgreSQL alike (portable
// upserts).
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "mlws/store/lease_store.h"
#include "store/sqlite/reader_pool.h"
#include "store/sqlite/write_queue.h"

namespace mlws::store::sqlite {

class SqliteLeaseStore final : public LeaseStore {
 public:
  SqliteLeaseStore(WriteQueue& writes, ReaderPool& readers) : writes_(writes), readers_(readers) {}
  Status RegisterServer(const ServerRecord& server) override;
  StatusOr<std::vector<ServerRecord>> ListServers() override;
  Status RemoveServer(const std::string& id) override;
  void SetLeaseHolder(const std::string& server_id, std::int64_t lease_ms) override;
  StatusOr<std::vector<bool>> Claim(const std::vector<LeaseKey>& keys, const std::string& server_id,
                                    std::int64_t now, std::int64_t expires_at,
                                    const std::string& dead_holder) override;
  StatusOr<int> Renew(const std::string& server_id, std::int64_t now,
                      std::int64_t expires_at) override;
  StatusOr<std::vector<JobLease>> Claimable(const std::string& server_id, std::int64_t now,
                                            const std::vector<std::string>& dead,
                                            int limit) override;
  StatusOr<std::optional<JobLease>> GetLease(std::int64_t workspace_id,
                                             const std::string& name) override;
  Status Release(const std::vector<LeaseKey>& keys, const std::string& server_id) override;
  // Cancel requests (cancel_request_store.cc).
  bool KeepsCancelRequests() const override { return true; }
  StatusOr<bool> RequestCancel(std::int64_t workspace_id, const std::string& name,
                               const std::string& requested_by, std::int64_t now) override;
  StatusOr<std::vector<CancelRequest>> CancelRequestsFor(const std::string& server_id) override;
  Status DropCancelRequests(const std::vector<LeaseKey>& keys) override;
  // Deployment and compute instance leases (resource_lease_store.cc, migration 18).
  bool KeepsResourceLeases() const override { return true; }
  StatusOr<bool> ClaimResource(const std::string& kind, std::int64_t workspace_id,
                               const std::string& name, const std::string& server_id,
                               std::int64_t now, std::int64_t expires_at,
                               const std::string& dead_holder) override;
  Status RenewResources(const std::string& server_id, std::int64_t expires_at) override;
  StatusOr<std::optional<ResourceLease>> GetResourceLease(const std::string& kind,
                                                          std::int64_t workspace_id,
                                                          const std::string& name) override;
  Status ReleaseResource(const std::string& kind, std::int64_t workspace_id,
                         const std::string& name, const std::string& server_id) override;

  // Called inside CreateJob's write task: the new job's lease, when a holder is set.
  Status LeaseNewJob(Db& db, std::int64_t workspace_id, const std::string& name);

 private:
  WriteQueue& writes_;
  ReaderPool& readers_;
  std::mutex mu_;
  std::string holder_;         // guarded by mu_
  std::int64_t lease_ms_ = 0;  // guarded by mu_
};

}  // namespace mlws::store::sqlite
