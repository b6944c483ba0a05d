// AdmissionGate: what the job scheduler asks before it queues or starts a job, so workspace
// quotas (quota_service.h) can refuse a job at submit or hold it in the queue with a reason.
// The scheduler depends on this interface only, not on how quotas are stored.
//
// Thread-safety: both calls may come from any thread. StartBlocker is called with the
// scheduler's lock held, every scheduling round (~10 per second) for the head of each queue:
// it must be cheap (no blocking I/O on the common path) and must not call back into JobService.
#pragma once

#include <cstdint>
#include <string>

#include "mlws/common/status.h"

namespace mlws::quotas {

class AdmissionGate {
 public:
  virtual ~AdmissionGate() = default;
  // A job of `nodes` nodes is submitted to `compute` of workspace `ws_id`, where the workspace's
  // jobs already hold or wait for `nodes_taken` nodes. Ok admits it to the queue; QuotaExceeded
  // (its message names the quota) refuses it and nothing is created.
  virtual Status AdmitSubmit(std::int64_t ws_id, const std::string& compute, int nodes,
                             int nodes_taken) = 0;
  // The queued job of `nodes` nodes at the head of its queue could start, its workspace's jobs
  // holding `nodes_busy` nodes of `compute`: "" lets it start, else the reason it waits (shown
  // as the job's queue_reason).
  virtual std::string StartBlocker(std::int64_t ws_id, const std::string& compute, int nodes,
                                   int nodes_busy) = 0;
};

}  // namespace mlws::quotas
