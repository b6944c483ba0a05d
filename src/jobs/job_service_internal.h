// JobService internals shared by job_service.cc, scheduler.cc and computes.cc.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "mlws/jobs/job_service.h"

namespace mlws::jobs {

struct JobService::Active {
  Job job;           // current state (the store has the same once persisted)
  JobSpec spec;      // immutable
  std::string ws;    // workspace name
  std::string pool;  // "<ws id>/<compute>"
  std::int64_t seq = 0;
  bool launching = false;
  bool launched = false;
  bool timed_out = false;
  std::int64_t term_sent_at = 0;  // monotonic ms (Env); 0 = no SIGTERM sent yet
  std::int64_t started_mono = 0;  // monotonic ms the job started at (limits.timeout); 0 = unset
  bool kill_sent = false;
  ProcessHandle handle;
  std::string cancel_reason;  // the error a canceled job ends with ("" = "Canceled.")
  // Orders the store writes of this job: a write that raced the job's final one (e.g. a cancel's
  // snapshot taken just before the end) must not land after it and leave a stale "Running".
  std::mutex write_mu;
  bool final_written = false;  // guarded by write_mu
};

struct JobService::Pool {
  std::int64_t ws_id = 0;
  std::string compute;
  int max_instances = 1;
  int min_instances = 0;
  std::int64_t idle_ms = 120000;
  std::map<std::pair<int, std::int64_t>, Key> queue;  // (-priority, seq) -> job
  int busy = 0;
  std::deque<std::pair<std::int64_t, int>> released;  // (time, nodes) freed by ended jobs
};

std::int64_t NowMs();

// limits.timeout on the monotonic clock. The monotonic time at which a job that started at wall
// time `started_at` did, seen at (`wall_now`, `mono_now`): what the wall clock does afterwards
// moves neither it nor the timeout; a start "in the future" (the wall clock went back) counts
// as now, never earlier.
inline std::int64_t MonotonicStart(std::int64_t started_at, std::int64_t wall_now,
                                   std::int64_t mono_now) {
  return mono_now - std::max<std::int64_t>(0, wall_now - started_at);
}
inline bool TimeoutDue(std::int64_t started_mono, std::int64_t timeout_s, std::int64_t mono_now) {
  return timeout_s > 0 && mono_now >= started_mono + timeout_s * 1000;
}
inline std::string JobKey(std::int64_t ws_id, const std::string& name) {
  return std::to_string(ws_id) + "/" + name;
}
inline std::string PoolKey(std::int64_t ws_id, const std::string& compute) {
  return std::to_string(ws_id) + "/" + compute;
}

}  // namespace mlws::jobs
