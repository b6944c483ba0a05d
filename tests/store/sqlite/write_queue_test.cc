// WriteQueue's backpressure (past its limit a write is refused at once, never queued) and its
// group-commit counts.
#include "store/sqlite/write_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include "mlws/common/ids.h"

namespace mlws::store::sqlite {
namespace {

class WriteQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mlws-wq-" + NewRunId());
    std::filesystem::create_directories(dir_);
    auto db = Db::Open((dir_ / "db.sqlite").string(), false);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    queue_ = std::make_unique<WriteQueue>(std::move(*db), nullptr);
    ASSERT_TRUE(queue_->Submit([](Db& d) { return d.Exec("CREATE TABLE t (v INTEGER)"); }).ok());
  }
  void TearDown() override {
    queue_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Waits (bounded) until `n` writes are queued behind the one the writer runs.
  void AwaitDepth(std::size_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (queue_->GetStats().depth != n) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "depth never reached " << n;
      std::this_thread::yield();
    }
  }
  // One write that occupies the writer (a group of its own) until `release` is set.
  struct HeldWriter {
    std::promise<void> release;
    std::promise<void> busy;
    std::future<Status> done;
  };
  // Returns once the writer is running the held write.
  std::unique_ptr<HeldWriter> HoldWriter() {
    auto h = std::make_unique<HeldWriter>();
    std::shared_future<void> gate = h->release.get_future().share();
    h->done = std::async(std::launch::async, [this, gate, held = h.get()] {
      return queue_->Submit([&](Db& d) {
        held->busy.set_value();
        gate.wait();
        return d.Exec("INSERT INTO t VALUES (1)");
      });
    });
    h->busy.get_future().wait();
    return h;
  }
  // `n` inserts submitted from a thread each; returns once all of them are queued.
  std::vector<std::future<Status>> QueueInserts(std::size_t n) {
    std::vector<std::future<Status>> waiting;
    for (std::size_t i = 0; i < n; ++i) {
      waiting.push_back(std::async(std::launch::async, [this] {
        return queue_->Submit([](Db& d) { return d.Exec("INSERT INTO t VALUES (0)"); });
      }));
    }
    AwaitDepth(n);
    return waiting;
  }
  std::filesystem::path dir_;
  std::unique_ptr<WriteQueue> queue_;
};

TEST_F(WriteQueueTest, RefusesPastTheLimitAndCountsIt) {
  queue_->SetLimit(1);
  // 1: holds the writer inside its transaction.
  auto first = HoldWriter();
  // 2: waits in the queue, which is now at its limit.
  auto second = std::async(std::launch::async, [&] {
    return queue_->Submit([](Db& d) { return d.Exec("INSERT INTO t VALUES (2)"); });
  });
  AwaitDepth(1);
  // 3: refused at once, and never run.
  bool ran = false;
  Status third = queue_->Submit([&](Db& d) {
    ran = true;
    return d.Exec("INSERT INTO t VALUES (3)");
  });
  EXPECT_EQ(third.code(), ErrorCode::kTemporarilyUnavailable) << third.ToString();
  EXPECT_NE(third.message().find("--store-write-queue"), std::string::npos) << third.message();
  WriteQueue::Stats st = queue_->GetStats();
  EXPECT_EQ(st.limit, 1u);
  EXPECT_EQ(st.rejected, 1u);
  first->release.set_value();
  EXPECT_TRUE(first->done.get().ok());
  EXPECT_TRUE(second.get().ok());
  EXPECT_FALSE(ran);
  // Once drained, writes are accepted again.
  EXPECT_TRUE(queue_->Submit([](Db& d) { return d.Exec("INSERT INTO t VALUES (4)"); }).ok());
  EXPECT_EQ(queue_->GetStats().depth, 0u);
}

TEST_F(WriteQueueTest, UnboundedByDefault) {
  EXPECT_EQ(queue_->GetStats().limit, 0u);
  auto first = HoldWriter();
  std::vector<std::future<Status>> waiting = QueueInserts(8);
  first->release.set_value();
  EXPECT_TRUE(first->done.get().ok());
  for (auto& f : waiting) EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(queue_->GetStats().rejected, 0u);
}

TEST_F(WriteQueueTest, WritesQueuedBehindTheWriterCommitAsOneCountedGroup) {
  WriteGroupStats before = queue_->GetStats().groups;  // SetUp's CREATE TABLE: a group of 1
  EXPECT_EQ(before.groups, 1u);
  EXPECT_EQ(before.grouped_writes, 1u);
  EXPECT_EQ(before.group_sizes[0], 1u);
  auto first = HoldWriter();
  std::vector<std::future<Status>> waiting = QueueInserts(5);
  first->release.set_value();
  EXPECT_TRUE(first->done.get().ok());
  for (auto& f : waiting) EXPECT_TRUE(f.get().ok());
  WriteGroupStats st = queue_->GetStats().groups;
  // The held write was a group of its own; the five behind it one group of five (bucket <= 8).
  EXPECT_EQ(st.groups, 3u);
  EXPECT_EQ(st.grouped_writes, 7u);
  EXPECT_EQ(st.group_sizes[0], 2u);  // <= 1
  EXPECT_EQ(st.group_sizes[3], 1u);  // 5..8
  EXPECT_GT(st.commit_seconds, 0.0);
}

}  // namespace
}  // namespace mlws::store::sqlite
