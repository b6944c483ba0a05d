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
// Two more things servers share through it, each with a default that keeps everything on the
// one server (what a test fake gets by not overriding them):
//   - cancel requests (migration 17): a cancel asked of a server that does not run the job waits
//     in the database until the server holding the job's lease carries it out. Default: none
//     kept (KeepsCancelRequests() false), cancels are left to the job's owner;
//   - resource leases (migration 18): which server runs each online deployment and compute
//     instance, a (kind, workspace, name) -> server lease claimed like the job leases. Default:
//     none kept (KeepsResourceLeases() false), every server owns what it loads.
// Callers ask Keeps...() first; the methods of a capability a store does not keep return
// NotImplemented.
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

// A cancel asked through a server that does not hold the job's lease.
struct CancelRequest {
  std::int64_t workspace_id = 0;
  std::string workspace;  // its name
  std::string name;       // the job's
};

struct ResourceLease {
  std::string kind;  // "deployment" or "compute_instance"
  std::int64_t workspace_id = 0;
  std::string name;
  std::string server_id;
  std::int64_t expires_at = 0;
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

  // Cancel requests.
  virtual bool KeepsCancelRequests() const { return false; }
  // Records that `requested_by` asked to cancel the job and sets the job's cancel_requested, in
  // one transaction, if the job is still Queued or Running; returns whether it was. Asking
  // twice keeps the first request.
  virtual StatusOr<bool> RequestCancel(std::int64_t /*workspace_id*/, const std::string& /*name*/,
                                       const std::string& /*requested_by*/, std::int64_t /*now*/) {
    return NotKept("cancel requests");
  }
  // The requested cancels of jobs whose lease `server_id` holds, oldest first.
  virtual StatusOr<std::vector<CancelRequest>> CancelRequestsFor(const std::string& /*server_id*/) {
    return NotKept("cancel requests");
  }
  // Drops the requests of `keys` (carried out). Those of jobs that ended otherwise go with the
  // holder's next lease renewal.
  virtual Status DropCancelRequests(const std::vector<LeaseKey>& /*keys*/) {
    return NotKept("cancel requests");
  }

  // Resource leases. Claim wins when the lease is absent, already the caller's, expired, or
  // held by `dead_holder` (a server the caller saw die); of two servers racing exactly one wins.
  virtual bool KeepsResourceLeases() const { return false; }
  // Whether the caller holds the lease now (won or already its own).
  virtual StatusOr<bool> ClaimResource(const std::string& /*kind*/, std::int64_t /*workspace_id*/,
                                       const std::string& /*name*/,
                                       const std::string& /*server_id*/, std::int64_t /*now*/,
                                       std::int64_t /*expires_at*/,
                                       const std::string& /*dead_holder*/) {
    return NotKept("resource leases");
  }
  // Extends every resource lease `server_id` holds to `expires_at`.
  virtual Status RenewResources(const std::string& /*server_id*/, std::int64_t /*expires_at*/) {
    return NotKept("resource leases");
  }
  virtual StatusOr<std::optional<ResourceLease>> GetResourceLease(const std::string& /*kind*/,
                                                                  std::int64_t /*workspace_id*/,
                                                                  const std::string& /*name*/) {
    return NotKept("resource leases");
  }
  // Drops the lease if `server_id` holds it.
  virtual Status ReleaseResource(const std::string& /*kind*/, std::int64_t /*workspace_id*/,
                                 const std::string& /*name*/, const std::string& /*server_id*/) {
    return NotKept("resource leases");
  }

 private:
  static Status NotKept(const char* what) {
    return Status(ErrorCode::kNotImplemented, std::string("this lease store keeps no ") + what);
  }
};

}  // namespace mlws::store
