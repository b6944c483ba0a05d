#include "mlws/http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace mlws::http {
namespace {

TEST(WorkerPoolTest, RunsTasks) {
  WorkerPool pool(2, 8);
  std::promise<int> p;
  ASSERT_TRUE(pool.TryPost([&p] { p.set_value(42); }));
  EXPECT_EQ(p.get_future().get(), 42);
}

TEST(WorkerPoolTest, FullQueueRejectsAtOnce) {
  WorkerPool pool(1, 2);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  // Occupies the only thread until released.
  ASSERT_TRUE(pool.TryPost([&started, gate] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();
  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.TryPost([&ran] { ++ran; }));
  EXPECT_TRUE(pool.TryPost([&ran] { ++ran; }));
  EXPECT_FALSE(pool.TryPost([&ran] { ++ran; }));  // queue holds 2
  WorkerPoolStats s = pool.Stats();
  EXPECT_EQ(s.queued, 2u);
  EXPECT_EQ(s.busy, 1);
  EXPECT_EQ(s.rejected, 1u);
  release.set_value();
  pool.Stop();  // runs what was queued
  EXPECT_EQ(ran.load(), 2);
  EXPECT_FALSE(pool.TryPost([] {}));
}

}  // namespace
}  // namespace mlws::http
