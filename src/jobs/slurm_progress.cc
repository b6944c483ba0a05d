// JobService::OnSlurmProgress: a job submitted to Slurm is Queued (with Slurm's reason) until
// Slurm runs it, then Running from its start on the node (docs/compute.md, "Slurm").
#include "jobs/job_service_internal.h"

namespace mlws::jobs {

bool JobService::OnSlurmProgress(const std::string& key, const SlurmProgress& p) {
  std::shared_ptr<Active> a;
  Job snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(key);
    if (it == active_.end()) return true;  // ended or forgotten: nothing to show
    a = it->second;
    if (!a->launched) return false;  // its launch is not recorded yet: report it again
    Job& j = a->job;
    if (IsTerminal(j.status)) return true;
    JobStatus before = j.status;
    if (p.running) {
      j.queue_reason.clear();
      if (j.status != JobStatus::kRunning || j.started_at == 0) {
        j.status = JobStatus::kRunning;
        j.started_at = p.started_at > 0 ? p.started_at : NowMs();
      }
    } else {
      j.queue_reason = p.reason;
      if (j.status == JobStatus::kRunning) {  // Slurm requeued it (node failure, preemption)
        j.status = JobStatus::kQueued;
        j.started_at = 0;
      }
    }
    if (j.status == before) return true;  // only the (unstored) reason changed
  }
  std::lock_guard<std::mutex> write(a->write_mu);
  if (a->final_written) return true;
  {
    std::lock_guard<std::mutex> lock(mu_);  // the latest state (a cancel may have come since)
    snapshot = a->job;
  }
  if (!IsTerminal(snapshot.status)) Persist(snapshot);
  return true;
}

}  // namespace mlws::jobs
