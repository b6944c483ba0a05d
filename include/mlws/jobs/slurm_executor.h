// The Slurm executor: runs jobs of `type: slurm` computes on a Slurm cluster through its command
// line tools (sbatch, squeue, scontrol, sacct, scancel), which must be on the server's PATH and
// reach the cluster (SLURM_CONF, munge).
//
// Launch writes a batch script into the job folder (which must be on a filesystem the cluster's
// nodes mount: the server home) and submits it with `sbatch --parsable`. The script runs the
// same command line the local executor runs (the bubblewrap sandbox of sandbox.h, in the job's
// environment only), appends its output to the job's log, and writes the job's start time and
// its exit file (executor.h's format) next to it. The Slurm job id is written to
// "<exit path>.slurm" as soon as sbatch answers, so a server that dies before recording the job
// re-adopts it instead of submitting it again.
//
// LaunchMany submits a burst of jobs with the same placement as ONE `sbatch --array=0-<n-1>`:
// the array's script picks the job script of task $SLURM_ARRAY_TASK_ID; each job is then known
// by "<array id>_<task>" (in its ".slurm" file, squeue -r, scontrol, sacct and scancel alike).
// With more than one node, or a `distribution`, the batch script runs the command once per task
// with `srun` (one task per node unless distribution.process_count_per_instance says more), each
// task with its rank in NODE_RANK (and for pytorch MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK,
// LOCAL_RANK).
//
// While Slurm has a job PENDING, `on_progress` says so with Slurm's reason; once squeue shows it
// RUNNING, it reports the start on the node.
//
// One monitor thread polls every watched job with ONE `squeue` call per poll (never one call per
// job). Jobs that ended (or that squeue no longer knows) are read from their exit file; where a
// job left none (cancelled, timed out, node failure) ONE `sacct` call (when the cluster keeps
// accounting) or ONE `scontrol show job` call tells how it ended. Signal() is scancel (SIGTERM:
// a plain cancel, which Slurm escalates to SIGKILL after KillWait; other signals: --signal).
//
// A failing sbatch (missing binary, unknown partition, unreachable controller) fails the launch
// with sbatch's own message; every command runs with a timeout, so the server never hangs on a
// broken cluster.
//
// Thread-safe. `on_exit` runs on the monitor thread, one call at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "mlws/jobs/executor.h"

namespace mlws::jobs {

// What a watched job is doing before it ends: waiting in Slurm's queue (with Slurm's reason) or
// running on its nodes since `started_at` (ms since epoch).
struct SlurmProgress {
  bool running = false;
  std::int64_t started_at = 0;
  std::string reason;  // e.g. "Slurm: PENDING (Resources)"
};
// Called on the monitor thread when a job's progress changes; false = "not now" (the job's launch
// is not recorded yet): the same progress is reported again on the next poll.
using SlurmProgressFn = std::function<bool(const std::string& key, const SlurmProgress& p)>;

struct SlurmOptions {
  std::string bin_dir;  // where sbatch & co. live; "" = found on PATH
  int poll_ms = 200;    // squeue poll period while jobs are watched
  int command_timeout_ms = 30000;
  int max_parallel_submits = 8;  // sbatch processes run at once by LaunchMany
  // LaunchMany submits jobs of the same placement as one `sbatch --array` of up to this many
  // tasks (Slurm's MaxArraySize is 1001 by default); 1 = one sbatch per job.
  int max_array_tasks = 1000;
  SlurmProgressFn on_progress;  // may be empty
};

std::unique_ptr<Executor> NewSlurmExecutor(ExitFn on_exit, SlurmOptions options = {});

// An executor that sends jobs with LaunchSpec::slurm (and handles with a slurm_job_id) to
// `slurm`, everything else to `local`.
std::unique_ptr<Executor> NewExecutorWithSlurm(std::unique_ptr<Executor> local,
                                               std::unique_ptr<Executor> slurm);

// The Slurm job id (and array task, -1 = none) in "<exit path>.slurm"; nullopt when absent.
struct SlurmJobRef {
  std::int64_t job_id = 0;
  int array_task = -1;
};
std::optional<SlurmJobRef> ReadSlurmJobFile(const std::string& exit_path);

}  // namespace mlws::jobs
