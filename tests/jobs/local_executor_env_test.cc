// The local executor through the Env seam (common/env.h): supervisors are spawned by the Env (fd
// 3 carries their report back), the start time comes from its wall clock, and a Spawn failure is
// a launch error naming the cause (the scheduler fails the job with it), never a hang.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "mlws/common/env.h"
#include "mlws/common/ids.h"
#include "mlws/jobs/executor.h"

namespace mlws::jobs {
namespace {

namespace fs = std::filesystem;

// mlws-job-supervisor beside the test binary's folder (build/<type>/tests/mlws_tests).
std::string Supervisor() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return (exe.parent_path().parent_path() / "mlws-job-supervisor").string();
}

class LocalExecutorEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mlws-lee-" + NewRunId());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  LaunchSpec Spec(const std::string& command) {
    LaunchSpec s;
    s.key = "k";
    s.work_dir = dir_.string();
    s.log_path = (dir_ / "log").string();
    s.exit_path = (dir_ / "exit").string();
    s.command = command;
    s.env = {"PATH=/usr/bin:/bin"};
    return s;
  }
  ExitFn OnExit() {
    return [this](const std::string&, const ExitRecord& r) {
      std::lock_guard<std::mutex> lock(mu_);
      exit_ = r;
      exited_ = true;
      cv_.notify_all();
    };
  }
  bool WaitExit() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(60), [this] { return exited_; });
  }

  fs::path dir_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool exited_ = false;
  ExitRecord exit_;
};

TEST_F(LocalExecutorEnvTest, SupervisorsAreSpawnedThroughTheEnvAndItsClock) {
  if (!fs::exists(Supervisor())) GTEST_SKIP() << "no " << Supervisor();
  FaultEnv env;
  env.SetWallClock(1'700'000'000'000);
  auto ex = NewLocalExecutor(OnExit(), Supervisor(), &env);
  auto h = ex->Launch(Spec("exit 7"));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_GT(h->supervisor_pid, 0);  // reported on fd 3, which the Env handed over
  EXPECT_GT(h->process_pid, 0);
  EXPECT_EQ(h->started_ms, 1'700'000'000'000);
  ASSERT_TRUE(WaitExit());
  EXPECT_EQ(exit_.exit_code, 7);
  ex->Stop();
}

TEST_F(LocalExecutorEnvTest, ASpawnFailureIsALaunchErrorNamingTheCause) {
  FaultEnv env;
  env.FailSpawns(true);
  auto ex = NewLocalExecutor(OnExit(), Supervisor(), &env);
  auto h = ex->Launch(Spec("true"));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), ErrorCode::kTemporarilyUnavailable);
  EXPECT_NE(h.status().message().find("cannot run " + Supervisor()), std::string::npos)
      << h.status().ToString();
  auto many = ex->LaunchMany({Spec("true"), Spec("true")});
  ASSERT_EQ(many.size(), 2u);
  for (const auto& m : many) EXPECT_FALSE(m.ok());
  ex->Stop();
}

}  // namespace
}  // namespace mlws::jobs
