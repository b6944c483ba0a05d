// CancelRequestStore: a cancel asked of a server that does not run the job waits in the
// database (migration 17) until the server holding the job's lease carries it out
// (docs/scale-out.md "Several servers on one database").
//
// A capability of a LeaseStore: the SQL lease store implements it too, and callers find it with
// CancelRequestsOf(leases); a lease store without it (a test fake) leaves cancels to the owner.
// Thread-safe; writes are durable on return.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/store/lease_store.h"

namespace mlws::store {

struct CancelRequest {
  std::int64_t workspace_id = 0;
  std::string workspace;  // its name
  std::string name;       // the job's
};

class CancelRequestStore {
 public:
  virtual ~CancelRequestStore() = default;
  // Records that `requested_by` asked to cancel the job and sets the job's cancel_requested, in
  // one transaction, if the job is still Queued or Running; returns whether it was. Asking
  // twice keeps the first request.
  virtual StatusOr<bool> RequestCancel(std::int64_t workspace_id, const std::string& name,
                                       const std::string& requested_by, std::int64_t now) = 0;
  // The requested cancels of jobs whose lease `server_id` holds, oldest first.
  virtual StatusOr<std::vector<CancelRequest>> CancelRequestsFor(const std::string& server_id) = 0;
  // Drops the requests of `keys` (carried out). Those of jobs that ended otherwise go with the
  // holder's next lease renewal.
  virtual Status DropCancelRequests(const std::vector<LeaseKey>& keys) = 0;
};

// The cancel requests of `leases`, or nullptr when that store keeps none.
inline CancelRequestStore* CancelRequestsOf(LeaseStore& leases) {
  return dynamic_cast<CancelRequestStore*>(&leases);
}

}  // namespace mlws::store
