// JobLeases: server ids, and which servers of this host are dead (their jobs are taken over at
// once instead of after their leases expire).
#include "jobs/job_lease.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "mlws/common/ids.h"
#include "mlws/store/metadata_store.h"

namespace mlws::jobs {
namespace {

class JobLeasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mlws-jl-" + NewRunId());
    auto s = store::OpenMetadataStore("sqlite:///" + (dir_ / "db.sqlite").string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    ASSERT_TRUE(store_->Migrate().ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::MetadataStore> store_;
};

TEST_F(JobLeasesTest, IdIsHostPidStartAndRegisters) {
  JobLeases l(store_->leases(), 3000);
  EXPECT_EQ(JobLeases::HostOf(l.server_id()), l.host());
  EXPECT_NE(l.server_id().find(":" + std::to_string(getpid()) + ":"), std::string::npos);
  EXPECT_EQ(JobLeases::HostOf("node-1.example.com:42:1700000000000"), "node-1.example.com");
  EXPECT_EQ(JobLeases::HostOf("garbage"), "");
  ASSERT_TRUE(l.Register().ok());
  auto servers = store_->leases().ListServers();
  ASSERT_TRUE(servers.ok());
  ASSERT_EQ(servers->size(), 1u);
  EXPECT_EQ((*servers)[0].id, l.server_id());
}

TEST_F(JobLeasesTest, OnlyGoneProcessesOfThisHostAreDead) {
  JobLeases l(store_->leases(), 3000);
  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);  // a pid that is surely gone now
  std::string gone = l.host() + ":" + std::to_string(child) + ":1";
  std::string elsewhere = "other-host-" + NewRunId() + ":" + std::to_string(child) + ":1";
  EXPECT_TRUE(l.DeadOnThisHost(gone));
  EXPECT_FALSE(l.DeadOnThisHost(elsewhere)) << "another host's server waits for its lease";
  EXPECT_FALSE(l.DeadOnThisHost(l.server_id())) << "this server is alive";
  // A live process that is not mlws (a pid reused by another program) is no server: dead.
  pid_t other = fork();
  if (other == 0) {
    execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(other, 0);
  for (int i = 0; i < 2000; ++i) {  // until the exec happened (its cmdline is sleep's)
    std::ifstream cmd("/proc/" + std::to_string(other) + "/cmdline");
    std::string argv0;
    std::getline(cmd, argv0, '\0');
    if (argv0 == "sleep") break;
    usleep(1000);
  }
  EXPECT_TRUE(l.DeadOnThisHost(l.host() + ":" + std::to_string(other) + ":1"));
  kill(other, SIGKILL);
  waitpid(other, nullptr, 0);
  ASSERT_TRUE(store_->leases().RegisterServer({gone, l.host(), child, 1, 1, ""}).ok());
  ASSERT_TRUE(store_->leases().RegisterServer({elsewhere, "x", child, 1, 1, ""}).ok());
  auto dead = l.DeadLocalServers();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0], gone);
  EXPECT_EQ(IsoTime(0), "1970-01-01T00:00:00Z");
}

}  // namespace
}  // namespace mlws::jobs
