// JobService internals shared by job_service.cc, scheduler.cc and computes.cc.
#pragma once

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
  std::int64_t term_sent_at = 0;  // ms; 0 = no SIGTERM sent yet
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
inline std::string JobKey(std::int64_t ws_id, const std::string& name) {
  return std::to_string(ws_id) + "/" + name;
}
inline std::string PoolKey(std::int64_t ws_id, const std::string& compute) {
  return std::to_string(ws_id) + "/" + compute;
}

}  // namespace mlws::jobs
