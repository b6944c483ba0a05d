// Parsing what Slurm's command line tools print (squeue, scontrol -o, sacct -P) and formatting
// what sbatch takes. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlws::jobs {

// One job as a Slurm tool reports it. Times in ms since epoch (0 = unknown).
struct SlurmJobState {
  std::int64_t id = 0;  // for a task of a job array: the array's job id
  int array_task = -1;  // the task's index in its array; -1 = not an array task
  std::string state;    // "PENDING", "RUNNING", "COMPLETED", "CANCELLED", ...
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  int nodes = 0;
  int exit_code = -1;  // -1 = not reported
  int signal = 0;
  std::string reason;  // why a PENDING job waits ("Resources", "Priority", ...); squeue/scontrol
};

// "12" -> 12/-1, "12_3" -> 12/3 (a task of array 12); false for anything else ("12_[4-9]",
// het job "12+0").
bool ParseSlurmJobId(std::string_view s, std::int64_t& id, int& array_task);
// The reverse: "12" or "12_3", what squeue, sacct and scancel take.
std::string SlurmJobKey(std::int64_t id, int array_task);

// The squeue format this parser reads (`squeue -h -r -t all -o <it>`); the reason comes last.
inline constexpr const char* kSqueueFormat = "%i|%T|%S|%e|%D|%r";
std::vector<SlurmJobState> ParseSqueue(std::string_view out);
// `scontrol -o show job`: one line per job of "Key=Value" words.
std::vector<SlurmJobState> ParseScontrolJobs(std::string_view out);
// The sacct fields this parser reads (`sacct -n -P -X -o <them>`).
inline constexpr const char* kSacctFields = "JobID,State,ExitCode,Start,End,NNodes";
std::vector<SlurmJobState> ParseSacct(std::string_view out);

// "2026-12-01T12:53:19" (the server's local time, as Slurm prints it) -> ms; 0 for "Unknown",
// "N/A", "None" or anything else.
std::int64_t ParseSlurmTime(std::string_view s);
// Whether a job in this state has ended for good ("CANCELLED by 0" counts as CANCELLED).
bool SlurmStateEnded(std::string_view state);
// sbatch --time: "minutes:seconds" (rounded up to whole seconds by the caller).
std::string SlurmTimeLimit(std::int64_t seconds);
// A Slurm time limit ("M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S") in seconds; -1 if malformed.
std::int64_t ParseSlurmDuration(std::string_view s);

}  // namespace mlws::jobs
