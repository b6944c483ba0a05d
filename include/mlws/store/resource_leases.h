// ResourceLeaseStore: which server runs each online deployment and compute instance, so several
// servers on one database never supervise the same processes twice (docs/scale-out.md "Several
// servers on one database").
//
// A lease is (kind, workspace, name) -> server until a time. Claim is a conditional upsert like
// the job leases': it wins when the lease is absent, already the caller's, expired, or held by a
// server the caller saw die; of two servers racing exactly one wins. The holder renews all its
// leases with one statement; a resource that ends is released.
//
// A capability of a LeaseStore (migration 18): the SQL lease store implements it, callers find
// it with ResourceLeasesOf(leases); without it (a test fake) every server owns what it loads.
// Thread-safe; writes are durable on return; times are wall-clock ms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/store/lease_store.h"

namespace mlws::store {

struct ResourceLease {
  std::string kind;  // "deployment" or "compute_instance"
  std::int64_t workspace_id = 0;
  std::string name;
  std::string server_id;
  std::int64_t expires_at = 0;
};

class ResourceLeaseStore {
 public:
  virtual ~ResourceLeaseStore() = default;

  // Whether the caller holds the lease now (won or already its own).
  virtual StatusOr<bool> ClaimResource(const std::string& kind, std::int64_t workspace_id,
                                       const std::string& name, const std::string& server_id,
                                       std::int64_t now, std::int64_t expires_at,
                                       const std::string& dead_holder) = 0;
  // Extends every resource lease `server_id` holds to `expires_at`.
  virtual Status RenewResources(const std::string& server_id, std::int64_t expires_at) = 0;
  virtual StatusOr<std::optional<ResourceLease>> GetResourceLease(const std::string& kind,
                                                                  std::int64_t workspace_id,
                                                                  const std::string& name) = 0;
  // Drops the lease if `server_id` holds it.
  virtual Status ReleaseResource(const std::string& kind, std::int64_t workspace_id,
                                 const std::string& name, const std::string& server_id) = 0;
};

// The resource leases of `leases`, or nullptr when that store keeps none.
inline ResourceLeaseStore* ResourceLeasesOf(LeaseStore& leases) {
  return dynamic_cast<ResourceLeaseStore*>(&leases);
}

}  // namespace mlws::store
