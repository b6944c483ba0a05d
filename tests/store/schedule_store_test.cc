// SqliteScheduleStore against a real SQLite file: CRUD, due schedules, and the claim that lets
// exactly one server fire a fire time.
#include <gtest/gtest.h>

#include <filesystem>

#include "mlws/common/ids.h"
#include "mlws/store/metadata_store.h"

namespace mlws::store {
namespace {

class ScheduleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mlws-sched-" + NewRunId());
    auto s = OpenMetadataStore("sqlite:///" + (dir_ / "db.sqlite").string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    ASSERT_TRUE(store_->Migrate().ok());
    auto w = store_->workspaces().CreateWorkspace("w", "");
    ASSERT_TRUE(w.ok());
    ws_ = w->id;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  ScheduleRecord Record(const std::string& name, std::int64_t next) {
    ScheduleRecord r;
    r.workspace_id = ws_;
    r.name = name;
    r.spec_json = "{}";
    r.next_fire_ms = next;
    r.owner = "local";
    r.created_at = r.updated_at = 1;
    return r;
  }
  std::filesystem::path dir_;
  std::unique_ptr<MetadataStore> store_;
  std::int64_t ws_ = 0;
};

TEST_F(ScheduleStoreTest, CreateListDueAndDelete) {
  auto& s = store_->schedules();
  ASSERT_TRUE(s.CreateSchedule(Record("b", 2000)).ok());
  ASSERT_TRUE(s.CreateSchedule(Record("a", 1000)).ok());
  EXPECT_EQ(s.CreateSchedule(Record("a", 5)).code(), ErrorCode::kResourceAlreadyExists);
  auto list = s.ListSchedules(ws_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "a");
  EXPECT_EQ(*s.EarliestFire(), 1000);
  auto due = s.DueSchedules(1500);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].name, "a");
  ScheduleRecord off = (*list)[0];
  off.enabled = false;
  ASSERT_TRUE(s.UpdateSchedule(off).ok());
  EXPECT_TRUE(s.DueSchedules(1500)->empty());
  EXPECT_EQ(*s.EarliestFire(), 2000);
  ASSERT_TRUE(s.DeleteSchedule(ws_, "a").ok());
  EXPECT_EQ(s.GetSchedule(ws_, "a").status().code(), ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(s.DeleteSchedule(ws_, "a").code(), ErrorCode::kResourceDoesNotExist);
}

TEST_F(ScheduleStoreTest, OnlyOneClaimOfAFireTimeWins) {
  auto& s = store_->schedules();
  ASSERT_TRUE(s.CreateSchedule(Record("a", 1000)).ok());
  // Two servers saw the schedule due at 1000: the first claim moves it, the second finds it moved.
  auto first = s.ClaimFire(ws_, "a", 1000, 1000, 2000);
  auto second = s.ClaimFire(ws_, "a", 1000, 1000, 2000);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  auto r = s.GetSchedule(ws_, "a");
  EXPECT_EQ(r->next_fire_ms, 2000);
  EXPECT_EQ(r->last_fire_ms, 1000);
  ASSERT_TRUE(s.RecordFire(ws_, {"a", 1000, "a_1", "", 5}).ok());
  ASSERT_TRUE(s.RecordFire(ws_, {"a", 2000, "", "boom", 6}).ok());
  auto fires = s.ListFires(ws_, "a", 10);
  ASSERT_TRUE(fires.ok());
  ASSERT_EQ(fires->size(), 2u);
  EXPECT_EQ((*fires)[0].error, "boom");  // newest first
  EXPECT_EQ((*fires)[1].job_name, "a_1");
}

}  // namespace
}  // namespace mlws::store
