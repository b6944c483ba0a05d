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
#include <memory>
#include <optional>
#include <string>

#include "mlws/jobs/executor.h"

namespace mlws::jobs {

struct SlurmOptions {
  std::string bin_dir;  // where sbatch & co. live; "" = found on PATH
  int poll_ms = 200;    // squeue poll period while jobs are watched
  int command_timeout_ms = 30000;
  int max_parallel_submits = 8;  // sbatch processes run at once by LaunchMany
};

std::unique_ptr<Executor> NewSlurmExecutor(ExitFn on_exit, SlurmOptions options = {});

// An executor that sends jobs with LaunchSpec::slurm (and handles with a slurm_job_id) to
// `slurm`, everything else to `local`.
std::unique_ptr<Executor> NewExecutorWithSlurm(std::unique_ptr<Executor> local,
                                               std::unique_ptr<Executor> slurm);

// The Slurm job id in "<exit path>.slurm"; nullopt when absent.
std::optional<std::int64_t> ReadSlurmJobFile(const std::string& exit_path);

}  // namespace mlws::jobs
