// ScheduleStore: persistence of schedules and the jobs they created. Stores only persist;
// validation and fire-time arithmetic live in schedules::ScheduleService.
//
// Several servers may share one database: a fire time is claimed with ClaimFire, a conditional
// update that succeeds for exactly one caller, so each fire time creates one job.
//
// Thread-safe; writes are durable on return. Errors: NotFound (unknown schedule in the
// workspace), AlreadyExists (name taken), Internal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::store {

struct ScheduleRecord {
  std::int64_t workspace_id = 0;
  std::string name;
  std::string spec_json;  // the validated schedule (trigger + create_job), rendered to clients
  bool enabled = true;
  std::int64_t next_fire_ms = 0;  // 0 = no fire time left
  std::int64_t last_fire_ms = 0;  // 0 = never fired
  std::string owner;              // jobs are created as this user
  std::int64_t owner_id = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

// One fire time that was claimed: the job it created, or why none was.
struct ScheduleFire {
  std::string schedule;
  std::int64_t fire_ms = 0;
  std::string job_name;  // "" when creating the job failed
  std::string error;
  std::int64_t created_at = 0;
};

class ScheduleStore {
 public:
  virtual ~ScheduleStore() = default;

  virtual Status CreateSchedule(const ScheduleRecord& s) = 0;
  virtual StatusOr<ScheduleRecord> GetSchedule(std::int64_t workspace_id,
                                               const std::string& name) = 0;
  // By name.
  virtual StatusOr<std::vector<ScheduleRecord>> ListSchedules(std::int64_t workspace_id) = 0;
  // Replaces spec, enabled, next fire time and updated_at.
  virtual Status UpdateSchedule(const ScheduleRecord& s) = 0;
  // Also forgets its fires (the jobs stay).
  virtual Status DeleteSchedule(std::int64_t workspace_id, const std::string& name) = 0;
  // Enabled schedules of every workspace whose next fire time is in (0, now_ms], earliest first.
  virtual StatusOr<std::vector<ScheduleRecord>> DueSchedules(std::int64_t now_ms) = 0;
  // The earliest next fire time of any enabled schedule; 0 = none.
  virtual StatusOr<std::int64_t> EarliestFire() = 0;
  // Moves the schedule's next fire time from `due_ms` to `next_ms` (and its last fire time to
  // `fired_ms`) when it is still enabled at `due_ms`: true for the one caller that made the
  // change.
  virtual StatusOr<bool> ClaimFire(std::int64_t workspace_id, const std::string& name,
                                   std::int64_t due_ms, std::int64_t fired_ms,
                                   std::int64_t next_ms) = 0;
  virtual Status RecordFire(std::int64_t workspace_id, const ScheduleFire& fire) = 0;
  // Newest first, at most `limit`.
  virtual StatusOr<std::vector<ScheduleFire>> ListFires(std::int64_t workspace_id,
                                                        const std::string& name, int limit) = 0;
};

}  // namespace mlws::store
