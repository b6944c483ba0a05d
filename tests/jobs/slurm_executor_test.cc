// The Slurm executor (src/jobs/slurm_executor.cc) against fake Slurm tools: shell scripts in a
// temp folder (SlurmOptions::bin_dir) that log their arguments and print what the test put in
// files. The real cluster is tested end to end in tests/e2e/test_jobs_slurm.py.
#include "mlws/jobs/slurm_executor.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace mlws::jobs {
namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::trunc);
  out << s;
}

class SlurmExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/slurm-executor-test-XXXXXX";
    root_ = mkdtemp(tmpl);
    bin_ = root_ / "bin";
    fs::create_directories(bin_);
    // sbatch: logs its arguments, refuses partition "bad" as Slurm does, else prints the next id.
    Tool("sbatch",
         "echo \"$*\" >> " + (root_ / "sbatch.calls").string() +
             "\n"
             "case \"$*\" in *--partition=bad*) echo 'sbatch: error: Batch job submission "
             "failed: Invalid partition name specified' >&2; exit 1;; esac\n"
             "exec 9> " +
             (root_ / "next.lock").string() +
             "\nflock 9\n"  // sbatch runs in parallel: ids stay unique
             "n=$(cat " +
             (root_ / "next").string() +
             " 2>/dev/null || echo 100)\n"
             "echo $((n + 1)) > " +
             (root_ / "next").string() +
             "\n"
             "echo \"$n;cluster\"\n");
    Tool("squeue", "echo \"$*\" >> " + (root_ / "squeue.calls").string() + "\ncat " +
                       (root_ / "squeue.out").string() + " 2>/dev/null\n");
    Tool("scontrol", "echo \"$*\" >> " + (root_ / "scontrol.calls").string() + "\ncat " +
                         (root_ / "scontrol.out").string() + " 2>/dev/null\n");
    Tool("sacct", "echo 'Slurm accounting storage is disabled' >&2; exit 1\n");
    Tool("scancel", "echo \"$*\" >> " + (root_ / "scancel.calls").string() + "\n");
    SlurmOptions o;
    o.bin_dir = bin_.string();
    o.poll_ms = 20;
    o.command_timeout_ms = 5000;
    exec_ = NewSlurmExecutor(
        [this](const std::string& key, const ExitRecord& rec) {
          std::lock_guard<std::mutex> lock(mu_);
          exits_[key] = rec;
          cv_.notify_all();
        },
        o);
  }
  void TearDown() override {
    exec_->Stop();
    fs::remove_all(root_);
  }

  void Tool(const std::string& name, const std::string& body) {
    Write(bin_ / name, "#!/bin/sh\n" + body);
    fs::permissions(bin_ / name, fs::perms::owner_all);
  }

  LaunchSpec Spec(const std::string& key, const std::string& partition = "") {
    fs::path dir = root_ / "jobs" / key;
    fs::create_directories(dir / "wd");
    LaunchSpec s;
    s.key = key;
    s.work_dir = (dir / "wd").string();
    s.log_path = (dir / "log.txt").string();
    s.exit_path = (dir / "exit").string();
    s.command = "echo hi";
    s.env = {"A=1", "B=two words"};
    s.slurm = SlurmPlacement{"mlws-" + key, partition, "", "", "", 2, 90};
    return s;
  }

  std::optional<ExitRecord> WaitExit(const std::string& key) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(10), [&] { return exits_.count(key) > 0; })) {
      return std::nullopt;
    }
    return exits_[key];
  }

  fs::path root_, bin_;
  std::unique_ptr<Executor> exec_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, ExitRecord> exits_;
};

TEST_F(SlurmExecutorTest, SubmitsWithPlacementAndWritesTheJobFiles) {
  auto h = exec_->Launch(Spec("a", "gpu"));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->slurm_job_id, 100);
  EXPECT_EQ(ReadSlurmJobFile((root_ / "jobs" / "a" / "exit").string()), 100);
  std::string call = Read(root_ / "sbatch.calls");
  for (const char* arg : {"--parsable", "--job-name=mlws-a", "--nodes=2", "--partition=gpu",
                          "--time=1:30", "jobs/a/slurm/job.sh"}) {
    EXPECT_NE(call.find(arg), std::string::npos) << arg << " in " << call;
  }
  fs::path dir = root_ / "jobs" / "a" / "slurm";
  EXPECT_EQ(Read(dir / "env"), std::string("A=1\0B=two words\0", 16));
  EXPECT_NE(Read(dir / "argv").find(std::string("-c\0echo hi\0", 11)), std::string::npos);
  EXPECT_TRUE(fs::status(dir / "job.sh").permissions() == fs::perms::owner_all);
}

TEST_F(SlurmExecutorTest, SbatchRefusalIsTheLaunchError) {
  auto h = exec_->Launch(Spec("b", "bad"));
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("sbatch failed (exit 1)"), std::string::npos);
  EXPECT_NE(h.status().message().find("Invalid partition name specified"), std::string::npos);
}

TEST_F(SlurmExecutorTest, OneSqueueCallWatchesEveryJobAndEndsAreRead) {
  auto hs = exec_->LaunchMany({Spec("j1"), Spec("j2"), Spec("j3")});
  ASSERT_EQ(hs.size(), 3u);
  std::vector<std::int64_t> ids;
  for (auto& h : hs) {
    ASSERT_TRUE(h.ok());
    ids.push_back(h->slurm_job_id);
  }
  std::map<std::int64_t, std::string> key_of;
  for (int i = 0; i < 3; ++i) key_of[ids[i]] = "j" + std::to_string(i + 1);
  std::int64_t running = ids[0], done = ids[1], cancelled = ids[2];
  std::vector<std::int64_t> sorted = ids;  // parallel submissions: ids in any order
  std::sort(sorted.begin(), sorted.end());
  std::string all;
  for (auto id : sorted) all += (all.empty() ? "" : ",") + std::to_string(id);
  // Let a poll see all three before anything ends (one squeue call names every watched job).
  for (int i = 0;
       i < 500 && Read(root_ / "squeue.calls").find("-j " + all + " ") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // `done` wrote its exit file; `cancelled` left none: scontrol (no accounting) tells.
  Write(root_ / "jobs" / key_of[done] / "exit", "0 0 1700000000000\n");
  Write(root_ / "jobs" / key_of[done] / "slurm" / "started", "1699999990000\n");
  Write(root_ / "scontrol.out",
        "JobId=" + std::to_string(cancelled) +
            " JobState=CANCELLED ExitCode=0:15 StartTime=Unknown EndTime=Unknown NumNodes=2\n");
  Write(root_ / "squeue.out", std::to_string(running) + "|RUNNING|N/A|N/A|2\n" +
                                  std::to_string(done) + "|COMPLETED|N/A|N/A|2\n" +
                                  std::to_string(cancelled) + "|CANCELLED|N/A|N/A|2\n");
  auto d = WaitExit(key_of[done]);
  auto c = WaitExit(key_of[cancelled]);
  ASSERT_TRUE(d && c);
  EXPECT_EQ(d->exit_code, 0);
  EXPECT_EQ(d->started_at, 1699999990000);
  EXPECT_EQ(d->ended_at, 1700000000000);
  EXPECT_EQ(c->exit_code, 128 + 15);
  EXPECT_EQ(c->signal, 15);
  EXPECT_NE(c->reason.find("CANCELLED"), std::string::npos) << c->reason;
  // Every squeue call named the jobs watched then, together; scontrol was asked once per poll.
  std::istringstream calls(Read(root_ / "squeue.calls"));
  std::string line;
  int n = 0;
  bool saw_all = false;
  while (std::getline(calls, line)) {
    ++n;
    EXPECT_NE(line.find("-j "), std::string::npos) << line;
    saw_all = saw_all || line.find("-j " + all + " ") != std::string::npos;
  }
  EXPECT_TRUE(saw_all) << all << " never in one call:\n" << Read(root_ / "squeue.calls");
  EXPECT_GE(n, 1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_EQ(exits_.count(key_of[running]), 0u);  // still running
  }
  exec_->Signal(ProcessHandle{0, 0, 0, 0, running}, 15);
  exec_->Signal(ProcessHandle{0, 0, 0, 0, running}, 9);
  EXPECT_EQ(Read(root_ / "scancel.calls"),
            std::to_string(running) + "\n--full --signal=9 " + std::to_string(running) + "\n");
}

TEST_F(SlurmExecutorTest, AJobSlurmForgotWithoutExitFileIsLost) {
  auto h = exec_->Launch(Spec("gone"));
  ASSERT_TRUE(h.ok());
  Write(root_ / "squeue.out", "");  // squeue lists nothing, scontrol knows nothing
  auto r = WaitExit("gone");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->lost);
  EXPECT_NE(r->reason.find("no longer knows job"), std::string::npos) << r->reason;
}

TEST_F(SlurmExecutorTest, AdoptedJobIsWatchedByItsId) {
  auto spec = Spec("old");
  Write(spec.exit_path, "4 0 1700000000000\n");
  Write(root_ / "squeue.out", "555|FAILED|N/A|N/A|1\n");
  exec_->Adopt("old", ProcessHandle{0, 0, 0, 0, 555}, spec.exit_path);
  auto r = WaitExit("old");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 4);
  EXPECT_TRUE(r->reason.empty());
}

}  // namespace
}  // namespace mlws::jobs
