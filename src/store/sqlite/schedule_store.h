// The SQLite ScheduleStore (migration 11). Shares the SqliteStore's write queue and reader pool.
#pragma once

#include "mlws/store/schedule_store.h"
#include "store/sqlite/reader_pool.h"
#include "store/sqlite/write_queue.h"

namespace mlws::store::sqlite {

class SqliteScheduleStore final : public ScheduleStore {
 public:
  SqliteScheduleStore(WriteQueue& writes, ReaderPool& readers)
      : writes_(writes), readers_(readers) {}
  Status CreateSchedule(const ScheduleRecord& s) override;
  StatusOr<ScheduleRecord> GetSchedule(std::int64_t workspace_id, const std::string& name) override;
  StatusOr<std::vector<ScheduleRecord>> ListSchedules(std::int64_t workspace_id) override;
  Status UpdateSchedule(const ScheduleRecord& s) override;
  Status DeleteSchedule(std::int64_t workspace_id, const std::string& name) override;
  StatusOr<std::vector<ScheduleRecord>> DueSchedules(std::int64_t now_ms) override;
  StatusOr<std::int64_t> EarliestFire() override;
  StatusOr<bool> ClaimFire(std::int64_t workspace_id, const std::string& name, std::int64_t due_ms,
                           std::int64_t fired_ms, std::int64_t next_ms) override;
  Status RecordFire(std::int64_t workspace_id, const ScheduleFire& fire) override;
  StatusOr<std::vector<ScheduleFire>> ListFires(std::int64_t workspace_id, const std::string& name,
                                                int limit) override;

 private:
  WriteQueue& writes_;
  ReaderPool& readers_;
};

}  // namespace mlws::store::sqlite
