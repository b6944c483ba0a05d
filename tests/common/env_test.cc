// The Env seam (include/mlws/common/env.h): WriteFileAtomic under the faults FaultEnv injects
// (fsync failing, a full disk), and FaultEnv's clocks.
#include "mlws/common/env.h"

#include <errno.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mlws {
namespace {

namespace fs = std::filesystem;

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/env-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // The names in the folder: no temp file may be left behind.
  std::vector<std::string> Names() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
};

TEST_F(EnvTest, WriteFileAtomicWritesAndLeavesNoTempFile) {
  FaultEnv env;
  std::string path = (dir_ / "blob").string();
  ASSERT_TRUE(WriteFileAtomic(env, path, "first", 0640).ok());
  ASSERT_TRUE(WriteFileAtomic(env, path, "second version").ok());
  EXPECT_EQ(Read(path), "second version");
  EXPECT_EQ(Names(), std::vector<std::string>{"blob"});
  EXPECT_EQ(env.bytes_written(), 5 + 14);
}

TEST_F(EnvTest, FailedFsyncStoresNothingAndKeepsTheOldFile) {
  FaultEnv env;
  std::string path = (dir_ / "blob").string();
  ASSERT_TRUE(WriteFileAtomic(env, path, "old").ok());
  env.FailSyncs(true);
  Status st = WriteFileAtomic(env, path, "new data");
  EXPECT_EQ(st.code(), ErrorCode::kInternalError) << st.ToString();
  EXPECT_NE(st.message().find("syncing"), std::string::npos) << st.message();
  EXPECT_EQ(Read(path), "old");
  EXPECT_EQ(Names(), std::vector<std::string>{"blob"});
  // A new file that fails its fsync never appears at all.
  EXPECT_FALSE(WriteFileAtomic(env, (dir_ / "fresh").string(), "x").ok());
  EXPECT_EQ(Names(), std::vector<std::string>{"blob"});
  env.FailSyncs(false);
  EXPECT_TRUE(WriteFileAtomic(env, path, "new data").ok());
  EXPECT_EQ(Read(path), "new data");
}

TEST_F(EnvTest, UnsyncedWritesAreAtomicAndOneSyncfsMakesThemDurable) {
  FaultEnv env;
  env.FailSyncs(true);  // proves the unsynced write does not fsync
  std::string path = (dir_ / "job.sh").string();
  ASSERT_TRUE(WriteFileAtomic(env, path, "#!/bin/bash\n", 0700, /*sync=*/false).ok());
  EXPECT_EQ(Read(path), "#!/bin/bash\n");
  EXPECT_EQ(Names(), std::vector<std::string>{"job.sh"});
  EXPECT_EQ(env.SyncFilesystem(dir_.string()).code(), ErrorCode::kInternalError);
  env.FailSyncs(false);
  EXPECT_TRUE(env.SyncFilesystem(dir_.string()).ok());
}

TEST_F(EnvTest, FullDiskIsA503WithNothingStored) {
  FaultEnv env;
  env.DiskFullAfter(10);
  std::string path = (dir_ / "blob").string();
  ASSERT_TRUE(WriteFileAtomic(env, path, "0123456789").ok());  // exactly fits
  Status st = WriteFileAtomic(env, (dir_ / "big").string(), "more");
  EXPECT_EQ(st.code(), ErrorCode::kTemporarilyUnavailable) << st.ToString();
  EXPECT_NE(st.message().find("no space left on device"), std::string::npos) << st.message();
  EXPECT_EQ(Names(), std::vector<std::string>{"blob"});
  EXPECT_EQ(Read(path), "0123456789");
  env.DiskFullAfter(-1);
  EXPECT_TRUE(WriteFileAtomic(env, (dir_ / "big").string(), "more").ok());
}

TEST_F(EnvTest, RealFileErrorsAreValues) {
  Env* env = Env::Default();
  Status st = WriteFileAtomic(*env, (dir_ / "no" / "such" / "dir").string(), "x");
  EXPECT_EQ(st.code(), ErrorCode::kInternalError);
  EXPECT_NE(st.message().find("No such file or directory"), std::string::npos) << st.message();
  EXPECT_TRUE(env->Remove((dir_ / "absent").string()).ok());  // missing is fine
  EXPECT_EQ(FileError("x", ENOSPC).code(), ErrorCode::kTemporarilyUnavailable);
  // A link at the target of a new file is not followed.
  fs::create_symlink(dir_ / "elsewhere", dir_ / "link");
  EXPECT_FALSE(env->NewWritableFile((dir_ / "link").string(), 0600).ok());
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere"));
}

TEST_F(EnvTest, WallClockJumpsAndTheMonotonicClockDoesNot) {
  FaultEnv env;
  env.SetWallClock(1'700'000'000'000);
  std::int64_t mono = env.MonotonicMillis();
  env.JumpWallClock(-3'600'000);
  EXPECT_EQ(env.NowMillis(), 1'700'000'000'000 - 3'600'000);
  env.JumpWallClock(7'200'000);
  EXPECT_EQ(env.NowMillis(), 1'700'000'000'000 + 3'600'000);
  EXPECT_GE(env.MonotonicMillis(), mono);
  env.SetWallClock(0);  // follows the real clock again (plus the jumps)
  EXPECT_GT(env.NowMillis(), Env::Default()->NowMillis() + 3'500'000);
}

TEST_F(EnvTest, SpawnRunsWithExactlyTheGivenEnvironment) {
  std::string out = (dir_ / "out").string();
  auto pid =
      Env::Default()->Spawn({"/bin/sh", "-c", "echo \"$ONLY:$HOME\" > " + out}, {"ONLY=1"}, {});
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  int status = 0;
  ASSERT_EQ(waitpid(*pid, &status, 0), *pid);
  EXPECT_EQ(Read(out), "1:\n");
  auto missing = Env::Default()->Spawn({"/no/such/program"}, {}, {});
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot run /no/such/program"), std::string::npos);
}

}  // namespace
}  // namespace mlws
