// ResourceLeaseHolder: this server's side of the resource leases of one kind ("deployment",
// "compute_instance"; store/lease_store.h, docs/scale-out.md "Several servers on one
// database"). It names the server and the lease length the job leases use, and treats a lease
// whose holder was a server of this host that is gone as free at once (no wait for expiry).
//
// Without resource leases in the store (a test fake) every server owns what it loads: Claim
// always wins and no lease is ever held by another server. Thread-safe (the store is). Store
// errors are logged and read as "not won" / "no other holder".
#pragma once

#include <cstdint>
#include <string>

#include "mlws/jobs/job_service.h"
#include "mlws/store/lease_store.h"
#include "mlws/store/metadata_store.h"

namespace mlws::jobs {

class ResourceLeaseHolder {
 public:
  ResourceLeaseHolder(store::MetadataStore& store, JobService& jobs, std::string kind)
      : store_(store), jobs_(jobs), kind_(std::move(kind)) {}

  // Whether the store keeps leases (several servers may share it).
  bool Shared() const { return Leases() != nullptr; }
  // Whether this server holds the lease now (won, or already its own).
  bool Claim(std::int64_t workspace_id, const std::string& name) const;
  // Drops the lease if this server holds it.
  void Release(std::int64_t workspace_id, const std::string& name) const;
  // The live server other than this one holding the lease, or "" (none, expired, gone, this).
  std::string OtherHolder(std::int64_t workspace_id, const std::string& name) const;
  // Whether nobody live holds it: absent, expired or its holder gone; `holder` gets the last
  // holder's id ("" when none). False on a store error.
  bool Free(std::int64_t workspace_id, const std::string& name, std::string* holder) const;
  // Extends every resource lease this server holds (of any kind).
  Status RenewAll() const;

  const std::string& server_id() const { return jobs_.server_id(); }

 private:
  store::LeaseStore* Leases() const {
    store::LeaseStore& leases = store_.leases();
    return leases.KeepsResourceLeases() ? &leases : nullptr;
  }

  store::MetadataStore& store_;
  JobService& jobs_;
  std::string kind_;
};

}  // namespace mlws::jobs
