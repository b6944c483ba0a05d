// Value types of jobs and computes: what the JobService keeps, the JobStore persists and the API
// renders. Plain values; no behaviour beyond naming.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "mlws/tracking/entities.h"

namespace mlws::jobs {

// Azure ML's job statuses as the REST API shows them. The run of a job carries the matching
// MLflow status: Queued=SCHEDULED, Running=RUNNING, Completed=FINISHED, Failed=FAILED,
// Canceled=KILLED.
enum class JobStatus { kQueued, kRunning, kCompleted, kFailed, kCanceled };

// "Queued", "Running", "Completed", "Failed", "Canceled". (Inline: the store uses them too.)
inline const char* JobStatusName(JobStatus s) {
  switch (s) {
    case JobStatus::kQueued: return "Queued";
    case JobStatus::kRunning: return "Running";
    case JobStatus::kCompleted: return "Completed";
    case JobStatus::kFailed: return "Failed";
    case JobStatus::kCanceled: return "Canceled";
  }
  return "Failed";
}
inline std::optional<JobStatus> ParseJobStatus(std::string_view s) {
  for (auto st : {JobStatus::kQueued, JobStatus::kRunning, JobStatus::kCompleted,
                  JobStatus::kFailed, JobStatus::kCanceled}) {
    if (s == JobStatusName(st)) return st;
  }
  return std::nullopt;
}
inline bool IsTerminal(JobStatus s) { return s != JobStatus::kQueued && s != JobStatus::kRunning; }
inline tracking::RunStatus RunStatusOf(JobStatus s) {
  switch (s) {
    case JobStatus::kQueued: return tracking::RunStatus::kScheduled;
    case JobStatus::kRunning: return tracking::RunStatus::kRunning;
    case JobStatus::kCompleted: return tracking::RunStatus::kFinished;
    case JobStatus::kFailed: return tracking::RunStatus::kFailed;
    case JobStatus::kCanceled: return tracking::RunStatus::kKilled;
  }
  return tracking::RunStatus::kFailed;
}

// One job. Immutable after creation: everything up to `spec_json`; the rest is state.
struct Job {
  std::int64_t workspace_id = 0;
  std::string name;  // unique in its workspace
  std::string display_name;
  std::string description;
  std::string experiment_id;
  std::string experiment_name;
  std::string run_id;
  std::string compute;         // compute name in the workspace ("local" by default)
  std::string command;         // as written in the spec (before ${{…}} substitution)
  std::string spec_json;       // the validated spec (references resolved), rendered back to clients
  std::string owner;           // user name of the submitter
  std::int64_t owner_id = 0;   // 0 = the open-mode local user
  int priority = 0;            // higher first; FIFO within a priority
  int instance_count = 1;      // slots ("nodes") of the compute it occupies
  std::int64_t timeout_s = 0;  // limits.timeout; 0 = none
  double price_per_node_hour = 0;  // the compute's price when the job started

  JobStatus status = JobStatus::kQueued;
  std::int64_t created_at = 0;  // ms since epoch
  std::int64_t started_at = 0;  // 0 = not started
  std::int64_t ended_at = 0;    // 0 = not ended
  std::optional<int> exit_code;
  std::string error;  // failure reason (with the last lines of the log for failed processes)
  bool archived = false;
  bool cancel_requested = false;
  std::string queue_reason;  // why a Queued job waits (a workspace quota); not stored

  // Where it runs: the job folder and the supervisor that watches the process (see executor.h).
  std::string job_dir;
  std::int64_t supervisor_pid = 0;
  std::int64_t supervisor_start = 0;  // start time in clock ticks since boot (/proc/<pid>/stat)
  std::int64_t process_pid = 0;       // the job's process (and process group) id
  std::int64_t token_id = 0;          // the job's MLFLOW_TRACKING_TOKEN, revoked at the end
  std::string detail_json;  // {"inputs":…, "outputs":…, "environment":…, "notes":[…]} at start

  // Node-seconds used so far (instance_count × run time; at `now_ms` while running).
  double NodeSeconds(std::int64_t now_ms) const {
    if (started_at == 0) return 0;
    std::int64_t end = ended_at != 0 ? ended_at : now_ms;
    return end > started_at ? instance_count * (end - started_at) / 1000.0 : 0;
  }
};

// A compute target: a pool of `max_instances` local slots ("nodes").
struct Compute {
  std::int64_t workspace_id = 0;
  std::string name;
  std::string type;  // "local" | "amlcompute"
  std::string size;  // recorded (e.g. STANDARD_DS3_v2); no local meaning
  std::string description;
  int min_instances = 0;
  int max_instances = 1;
  std::int64_t idle_time_before_scale_down = 120;  // seconds
  double price_per_node_hour = 0;
  std::string spec_json;
  std::int64_t created_at = 0;
};

}  // namespace mlws::jobs
