// LeaseStore: which server owns which job, so several servers on one database never run a job
// twice (docs/scale-out.md "Several servers on one database").
//
// A server registers itself (id "<host>:<pid>:<start ms>") and heartbeats. Every job a server
// creates gets a lease held by that server in the same transaction as the job row (once
// SetLeaseHolder was called); the holder renews all its leases with one statement per period.
// Claim is a conditional upsert: it succeeds only when the lease is free, already the caller's,
// expired, or held by a server the caller knows to be dead; so of two servers that race for a
// job exactly one wins.
//
// Thread-safe; writes are durable on return. Times are the callers' wall clocks in ms (servers
// sharing a database need synchronised clocks, e.g. NTP; leases last seconds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::store {

struct ServerRecord {
  std::string id;  // "<host>:<pid>:<start ms>"
  std::string host;
  std::int64_t pid = 0;
  std::int64_t started_at = 0;
  std::int64_t heartbeat_at = 0;
  std::string url;  // where it serves ("" = unknown)
};

struct JobLease {
  std::int64_t workspace_id = 0;
  std::string name;
  std::string server_id;
  std::int64_t expires_at = 0;
};

struct LeaseKey {
  std::int64_t workspace_id = 0;
  std::string name;
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;

  // Inserts or replaces the server's row.
  virtual Status RegisterServer(const ServerRecord& server) = 0;
  virtual StatusOr<std::vector<ServerRecord>> ListServers() = 0;
  virtual Status RemoveServer(const std::string& id) = 0;
  // From now on CreateJob gives each new job a lease held by `server_id` until now + lease_ms.
  virtual void SetLeaseHolder(const std::string& server_id, std::int64_t lease_ms) = 0;
  // Claims each job for `server_id` until `expires_at`; result[i] says whether keys[i] was
  // won. A lease is taken when absent, already the caller's, expired (expires_at < now) or held
  // by `dead_holder` (non-empty: a server the caller saw die). One transaction for all.
  virtual StatusOr<std::vector<bool>> Claim(const std::vector<LeaseKey>& keys,
                                            const std::string& server_id, std::int64_t now,
                                            std::int64_t expires_at,
                                            const std::string& dead_holder) = 0;
  // Extends every lease `server_id` holds to `expires_at` and records its heartbeat (`now`);
  // returns the number of leases it still holds.
  virtual StatusOr<int> Renew(const std::string& server_id, std::int64_t now,
                              std::int64_t expires_at) = 0;
  // Leases whose holder is not `server_id` and that expired before `now` or are held by one of
  // `dead` (at most `limit`).
  virtual StatusOr<std::vector<JobLease>> Claimable(const std::string& server_id, std::int64_t now,
                                                    const std::vector<std::string>& dead,
                                                    int limit) = 0;
  virtual StatusOr<std::optional<JobLease>> GetLease(std::int64_t workspace_id,
                                                     const std::string& name) = 0;
  // Drops the lease if `server_id` holds it (a job that ended). One transaction for all.
  virtual Status Release(const std::vector<LeaseKey>& keys, const std::string& server_id) = 0;
};

}  // namespace mlws::store
