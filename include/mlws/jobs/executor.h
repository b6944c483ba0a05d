// Executor: starts job processes and reports when they end. The local executor runs each job
// under a supervisor process, so jobs survive a server restart and their outcome is never lost:
//
//   server ──spawn──> mlws-job-supervisor (setsid) ──fork──> supervisor ──fork──> job (own process
//                     exits at once                          waits, then     group, /bin/bash -c
//                                                            writes <job_dir>/exit     <command>)
//
// The supervisor is the small mlws-job-supervisor binary (exec'ing the whole mlws binary would
// cost ~9 ms per job); it is re-parented to init, closes every inherited descriptor, waits for
// the job, kills what is left of the job's process group, and writes
// "<exit code> <signal> <end ms>" to the exit file (atomically, via rename). It is built and
// installed next to mlws; without it jobs do not start (503, saying so).
//
// A restarted server re-adopts a job by its supervisor's pid and start time (/proc/<pid>/stat);
// when the supervisor is gone, the exit file tells how the job ended.
//
// Thread-safe. `on_exit` callbacks run on the executor's monitor thread, one at a time; they
// must not block for long.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/env.h"
#include "mlws/common/status.h"

namespace mlws::jobs {

// Where a job runs on a Slurm cluster: sbatch's options (empty = the cluster's default).
struct SlurmPlacement {
  std::string job_name;  // --job-name
  std::string partition;
  std::string account;
  std::string qos;
  std::string gres;
  int nodes = 1;                  // --nodes
  std::int64_t time_limit_s = 0;  // --time; 0 = the partition's limit
  // The job's `distribution.type` ("pytorch", "mpi", "tensorflow"; "" = none) and processes per
  // node: with a distribution or more than one node the command runs once per task under srun.
  std::string distribution;
  int tasks_per_node = 1;
};

struct LaunchSpec {
  std::string key;               // identifies the job in callbacks
  std::string work_dir;          // the job's current directory (must exist)
  std::string log_path;          // stdout and stderr, appended
  std::string exit_path;         // written by the supervisor when the job ends
  std::string command;           // run with /bin/bash -c (or /bin/sh when bash is missing)
  std::vector<std::string> env;  // "NAME=value", the job's whole environment
  // When set, the program and arguments to run instead of the shell: the sandbox (bwrap) command
  // line of sandbox.h, which runs `command` inside. The supervisor then starts it with the stop
  // signals ignored (the exec mode inside restores them for the job).
  std::vector<std::string> sandbox_argv;
  // Set for a job on a `type: slurm` compute: the job goes to the cluster (slurm_executor.h).
  std::optional<SlurmPlacement> slurm;
};

struct ProcessHandle {
  std::int64_t supervisor_pid = 0;
  std::int64_t supervisor_start = 0;  // clock ticks since boot
  std::int64_t process_pid = 0;       // = the job's process group id
  std::int64_t started_ms = 0;        // when the job's process was known to exist (ms since epoch)
  std::int64_t slurm_job_id = 0;      // a job submitted to Slurm (then the pids are 0)
  int slurm_array_task = -1;          // its task in a Slurm job array (-1 = not an array task)
};

struct ExitRecord {
  int exit_code = -1;         // the process's exit code; 128+N when killed by signal N
  int signal = 0;             // the signal that ended it, 0 if it exited
  std::int64_t ended_at = 0;  // ms since epoch (0 = unknown)
  bool lost = false;          // no exit file: the supervisor died or was killed
  // Known for Slurm jobs: when the job really started on its nodes (it may have waited in the
  // cluster's queue), and what the cluster said about its end when it was not a plain exit
  // (e.g. "Slurm: TIMEOUT").
  std::int64_t started_at = 0;  // ms since epoch (0 = unknown)
  std::string reason;
};

using ExitFn = std::function<void(const std::string& key, const ExitRecord& record)>;

class Executor {
 public:
  virtual ~Executor() = default;
  // Starts the job; `on_exit` fires once when it ends (even if it ended before Launch returned).
  virtual StatusOr<ProcessHandle> Launch(const LaunchSpec& spec) = 0;
  // Launch() for many jobs; the processes start in parallel. One result per spec, in order.
  virtual std::vector<StatusOr<ProcessHandle>> LaunchMany(const std::vector<LaunchSpec>& specs) {
    std::vector<StatusOr<ProcessHandle>> out;
    for (const auto& s : specs) out.push_back(Launch(s));
    return out;
  }
  // Watches a job started by an earlier server. Its exit record fires through `on_exit` (at once
  // if it already ended or the supervisor is gone).
  virtual void Adopt(const std::string& key, const ProcessHandle& handle,
                     const std::string& exit_path) = 0;
  // Sends `sig` to the job's process group if its supervisor is still alive.
  virtual void Signal(const ProcessHandle& handle, int sig) = 0;
  virtual void Stop() = 0;
};

// The local executor. `on_exit` is called for every launched or adopted job. `supervisor` is the
// mlws-job-supervisor binary, posix_spawn'ed per job; when empty, launches fail with
// TemporarilyUnavailable naming the missing binary (adopting running jobs still works). The
// supervisors are started through `env` (nullptr = Env::Default()): a Spawn failure is a
// TemporarilyUnavailable launch error naming the cause, which fails the job.
std::unique_ptr<Executor> NewLocalExecutor(ExitFn on_exit, const std::string& supervisor = "",
                                           Env* env = nullptr);

// "/bin/bash", or "/bin/sh" where bash is missing: what runs a job's command.
std::string DefaultShell();

// Reads an exit file; nullopt when absent or malformed.
std::optional<ExitRecord> ReadExitFile(const std::string& path);

// The supervisor's "<exit path>.started" file: written once the job process exists, so a job the
// server launched but had not yet recorded (it died in between) is adopted, not run twice.
struct StartedRecord {
  std::int64_t supervisor_pid = 0;
  std::int64_t process_pid = 0;
  std::int64_t started_at = 0;  // ms since epoch
};
std::optional<StartedRecord> ReadStartedFile(const std::string& exit_path);

}  // namespace mlws::jobs
