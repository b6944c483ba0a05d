// ScheduleService: Azure ML schedules (schedule YAML: trigger + create_job) that create jobs on a
// clock.
//
// Create / Update validate the whole schedule before anything is written: the trigger (cron
// expression, recurrence, time zone, start before end) and the job it creates (the job spec is
// parsed as `mlws job create` would; an existing job named by `azureml:<name>` must exist).
//
// Firing: a thread wakes at the earliest next fire time of any enabled schedule (and at least
// once a second, so schedules created through another server are seen). For each due schedule it
// claims the fire time in the metadata store (ScheduleStore::ClaimFire, a conditional update) and
// only the winner creates the job, so several servers on one database fire each time once.
// Missed fire times (the server was down, or busy past them): the latest missed time fires once,
// the earlier ones are skipped and counted (docs/schedules.md "Missed fire times"). Re-enabling
// a disabled schedule continues from the next time after now.
//
// The clock is injectable: tests pass their own (and the server takes one from
// MLWS_SCHEDULE_CLOCK_FILE, see ClockFromEnvironment).
//
// Thread-safe. Errors: InvalidArgument (bad schedule), NotFound, AlreadyExists.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "mlws/auth/auth_service.h"
#include "mlws/common/status.h"
#include "mlws/jobs/job_service.h"
#include "mlws/schedules/trigger.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::schedules {

using Clock = std::function<std::int64_t()>;  // ms since the epoch

// The system clock, or — when MLWS_SCHEDULE_CLOCK_FILE names a file — the number of ms since
// the epoch written in that file (a test's fake clock; the system clock while the file is
// missing or unreadable).
Clock ClockFromEnvironment();

struct Schedule {
  store::ScheduleRecord record;
  nlohmann::json spec;                     // the stored schedule (trigger, create_job, …)
  std::vector<std::int64_t> upcoming;      // the next fire times (up to 5)
  std::vector<store::ScheduleFire> fires;  // newest first (Get only)
};

class ScheduleService {
 public:
  ScheduleService(store::MetadataStore& store, tracking::TrackingService& tracking,
                  jobs::JobService& jobs, Clock clock);
  ~ScheduleService();
  ScheduleService(const ScheduleService&) = delete;
  ScheduleService& operator=(const ScheduleService&) = delete;

  // Starts / stops the firing thread.
  void Start();
  void Stop();

  StatusOr<Schedule> Create(const std::string& ws, const nlohmann::json& spec,
                            const auth::Principal& who);
  // Replaces the schedule's definition (same name); the next fire time restarts from now.
  StatusOr<Schedule> Update(const std::string& ws, const std::string& name,
                            const nlohmann::json& spec, const auth::Principal& who);
  StatusOr<Schedule> Get(const std::string& ws, const std::string& name);
  StatusOr<std::vector<Schedule>> List(const std::string& ws);
  StatusOr<Schedule> SetEnabled(const std::string& ws, const std::string& name, bool enabled);
  Status Delete(const std::string& ws, const std::string& name);

  // One pass of the firing thread: fires every schedule due at the clock's now. Returns the
  // number of jobs created (tests call it directly).
  int FireDue();

 private:
  struct Parsed {
    nlohmann::json spec;
    Trigger trigger;
  };
  StatusOr<Parsed> Validate(const std::string& ws, const nlohmann::json& spec,
                            const std::string& name);
  // The job spec for a fire at `fire_ms`, named `job_name`.
  StatusOr<nlohmann::json> JobSpecFor(const std::string& ws, const nlohmann::json& create_job,
                                      const std::string& schedule, std::int64_t fire_ms,
                                      const std::string& job_name);
  StatusOr<Schedule> Render(const store::ScheduleRecord& r, bool with_fires);
  void Loop();

  store::MetadataStore& store_;
  tracking::TrackingService& tracking_;
  jobs::JobService& jobs_;
  Clock clock_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  bool kicked_ = false;    // guarded by mu_: a schedule changed; recompute the wait
  std::thread thread_;
};

}  // namespace mlws::schedules
