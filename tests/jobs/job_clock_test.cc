// limits.timeout on the monotonic clock (jobs/job_service_internal.h): a wall clock that jumps
// forward or back after the job started neither stops it early nor keeps it past its timeout.
#include <gtest/gtest.h>

#include "jobs/job_service_internal.h"
#include "mlws/common/env.h"

namespace mlws::jobs {
namespace {

constexpr std::int64_t kHour = 3'600'000;

TEST(JobClockTest, AWallClockJumpForwardDoesNotTimeAJobOutEarly) {
  FaultEnv env;
  std::int64_t started_at = env.NowMillis();
  std::int64_t start = MonotonicStart(started_at, env.NowMillis(), env.MonotonicMillis());
  env.JumpWallClock(kHour);
  // By the wall clock the 60 s timeout is long past; by the monotonic one it is not.
  EXPECT_GT(env.NowMillis(), started_at + 60'000);
  EXPECT_FALSE(TimeoutDue(start, 60, env.MonotonicMillis()));
  EXPECT_TRUE(TimeoutDue(start, 60, env.MonotonicMillis() + 60'000));
}

// An adopted job (started before this server saw it) counts from its wall start, converted once;
// a start "in the future" (the wall clock went back since) counts from now, never earlier.
TEST(JobClockTest, AnAdoptedJobCountsFromItsStartAndAJumpBackNeverShortensIt) {
  FaultEnv env;
  std::int64_t mono = env.MonotonicMillis();
  std::int64_t start = MonotonicStart(env.NowMillis() - 30'000, env.NowMillis(), mono);
  EXPECT_FALSE(TimeoutDue(start, 60, mono + 29'000));
  EXPECT_TRUE(TimeoutDue(start, 60, mono + 30'000));

  std::int64_t started_at = env.NowMillis();
  env.JumpWallClock(-kHour);
  mono = env.MonotonicMillis();
  std::int64_t s2 = MonotonicStart(started_at, env.NowMillis(), mono);
  EXPECT_GE(s2, mono);
  EXPECT_FALSE(TimeoutDue(s2, 1, mono + 999));
  EXPECT_TRUE(TimeoutDue(s2, 1, mono + 1'000));
}

TEST(JobClockTest, NoTimeoutNeverFires) { EXPECT_FALSE(TimeoutDue(0, 0, 1'000'000'000)); }

}  // namespace
}  // namespace mlws::jobs
