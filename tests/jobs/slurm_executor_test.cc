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
#include <cstdlib>
#include <ctime>
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
    o.on_progress = [this](const std::string& key, const SlurmProgress& p) {
      std::lock_guard<std::mutex> lock(mu_);
      progress_[key].push_back(p);
      cv_.notify_all();
      return true;
    };
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
    s.slurm = SlurmPlacement{"mlws-" + key, partition, "", "", "", 2, 90, "", 1};
    return s;
  }

  std::optional<ExitRecord> WaitExit(const std::string& key) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(10), [&] { return exits_.count(key) > 0; })) {
      return std::nullopt;
    }
    return exits_[key];
  }

  // Waits until `key`'s progress reports include one that `pred` accepts.
  template <typename Pred>
  bool WaitProgress(const std::string& key, Pred pred) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] {
      for (const auto& p : progress_[key]) {
        if (pred(p)) return true;
      }
      return false;
    });
  }

  fs::path root_, bin_;
  std::unique_ptr<Executor> exec_;
  std::map<std::string, std::vector<SlurmProgress>> progress_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, ExitRecord> exits_;
};

TEST_F(SlurmExecutorTest, SubmitsWithPlacementAndWritesTheJobFiles) {
  auto h = exec_->Launch(Spec("a", "gpu"));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->slurm_job_id, 100);
  auto ref = ReadSlurmJobFile((root_ / "jobs" / "a" / "exit").string());
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->job_id, 100);
  EXPECT_EQ(ref->array_task, -1);
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
  // Three placements: three sbatch calls (the same placement would be one array).
  auto hs = exec_->LaunchMany({Spec("j1", "p1"), Spec("j2", "p2"), Spec("j3", "p3")});
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
  Write(root_ / "squeue.out", std::to_string(running) + "|RUNNING|N/A|N/A|2|None\n" +
                                  std::to_string(done) + "|COMPLETED|N/A|N/A|2|None\n" +
                                  std::to_string(cancelled) + "|CANCELLED|N/A|N/A|2|None\n");
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
  Write(root_ / "squeue.out", "555|FAILED|N/A|N/A|1|None\n");
  exec_->Adopt("old", ProcessHandle{0, 0, 0, 0, 555}, spec.exit_path);
  auto r = WaitExit("old");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 4);
  EXPECT_TRUE(r->reason.empty());
}

TEST_F(SlurmExecutorTest, ABurstOfOnePlacementIsOneJobArray) {
  auto hs = exec_->LaunchMany({Spec("t0"), Spec("t1"), Spec("t2"), Spec("other", "gpu")});
  ASSERT_EQ(hs.size(), 4u);
  for (auto& h : hs) ASSERT_TRUE(h.ok()) << h.status().ToString();
  std::int64_t array = hs[0]->slurm_job_id;
  for (int t = 0; t < 3; ++t) {
    EXPECT_EQ(hs[t]->slurm_job_id, array);
    EXPECT_EQ(hs[t]->slurm_array_task, t);
    auto ref = ReadSlurmJobFile((root_ / "jobs" / ("t" + std::to_string(t)) / "exit").string());
    ASSERT_TRUE(ref);
    EXPECT_EQ(ref->job_id, array);
    EXPECT_EQ(ref->array_task, t);
  }
  EXPECT_NE(hs[3]->slurm_job_id, array);
  EXPECT_EQ(hs[3]->slurm_array_task, -1);
  // Two sbatch calls: the array (its script lists the three job scripts in order), the other.
  std::string calls = Read(root_ / "sbatch.calls");
  EXPECT_EQ(std::count(calls.begin(), calls.end(), '\n'), 2) << calls;
  EXPECT_NE(calls.find("--array=0-2 "), std::string::npos) << calls;
  std::string script = Read(root_ / "jobs" / "t0" / "slurm" / "array.sh");
  size_t a = script.find("jobs/t0/slurm/job.sh"), b = script.find("jobs/t1/slurm/job.sh"),
         c = script.find("jobs/t2/slurm/job.sh");
  EXPECT_TRUE(a != std::string::npos && a < b && b < c && c != std::string::npos) << script;
  // Its tasks are polled by the array's id and end one by one.
  std::string id = std::to_string(array);
  Write(root_ / "jobs" / "t1" / "exit", "3 0 1700000000000\n");
  Write(root_ / "squeue.out", id + "_0|RUNNING|N/A|N/A|2|None\n" + id +
                                  "_1|FAILED|N/A|N/A|2|None\n" + id +
                                  "_2|PENDING|N/A|N/A|2|Priority\n");
  auto r = WaitExit("t1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_TRUE(WaitProgress("t2", [](const SlurmProgress& p) {
    return !p.running && p.reason == "Slurm: PENDING (Priority)";
  }));
  EXPECT_NE(Read(root_ / "squeue.calls").find("-r"), std::string::npos);
  exec_->Signal(*hs[2], 15);
  EXPECT_EQ(Read(root_ / "scancel.calls"), id + "_2\n");
}

TEST_F(SlurmExecutorTest, ProgressReportsTheWaitThenTheStartOnTheNode) {
  auto h = exec_->Launch(Spec("p"));
  ASSERT_TRUE(h.ok());
  std::string id = std::to_string(h->slurm_job_id);
  Write(root_ / "squeue.out", id + "|PENDING|N/A|N/A|2|Resources\n");
  EXPECT_TRUE(WaitProgress("p", [](const SlurmProgress& p) {
    return !p.running && p.reason == "Slurm: PENDING (Resources)";
  }));
  Write(root_ / "jobs" / "p" / "slurm" / "started", "1699999990123\n");
  Write(root_ / "squeue.out", id + "|RUNNING|2026-12-01T12:00:00|N/A|2|None\n");
  EXPECT_TRUE(WaitProgress(
      "p", [](const SlurmProgress& p) { return p.running && p.started_at == 1699999990123; }));
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(progress_["p"].size(), 2u);  // each change once, not once per poll
}

TEST_F(SlurmExecutorTest, RunningWaitsForTheStartTheNodeWrote) {
  // squeue says RUNNING (StartTime in whole seconds) before the script has run: the job is
  // not reported Running until the node's own start time is there, so limits.timeout counts
  // from the real start.
  auto h = exec_->Launch(Spec("w"));
  ASSERT_TRUE(h.ok());
  std::string id = std::to_string(h->slurm_job_id);
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char start[32];
  std::strftime(start, sizeof start, "%Y-%m-%dT%H:%M:%S", &local);
  Write(root_ / "squeue.out", id + "|RUNNING|" + start + "|N/A|1|None\n");
  // Let three polls see it RUNNING without the file (each poll is one squeue call).
  auto polls = [&] {
    std::string calls = Read(root_ / "squeue.calls");
    return std::count(calls.begin(), calls.end(), '\n');
  };
  const auto before = polls();
  for (int i = 0; i < 1000 && polls() < before + 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GE(polls(), before + 3);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& p : progress_["w"]) EXPECT_FALSE(p.running) << p.started_at;
  }
  Write(root_ / "jobs" / "w" / "slurm" / "started", "1699999990456\n");
  EXPECT_TRUE(WaitProgress(
      "w", [](const SlurmProgress& p) { return p.running && p.started_at == 1699999990456; }));
}

TEST_F(SlurmExecutorTest, MultiNodeJobsRunEveryTaskUnderSrunWithTheirRank) {
  // A fake srun that starts the command as two tasks on two "nodes", as Slurm's srun would.
  Tool("srun", "echo \"$*\" > " + (root_ / "srun.calls").string() +
                   "\n"
                   "while [ \"${1#--}\" != \"$1\" ]; do shift; done\n"  // srun's options
                   "for i in 0 1; do SLURM_NODEID=$i SLURM_PROCID=$i SLURM_LOCALID=0 "
                   "SLURM_NTASKS=2 \"$@\" & done; wait\n");
  auto spec = Spec("mn");
  spec.slurm->distribution = "pytorch";
  spec.command = "echo rank=$NODE_RANK/$RANK world=$WORLD_SIZE port=$MASTER_PORT A=$A";
  auto h = exec_->Launch(spec);
  ASSERT_TRUE(h.ok());
  fs::path script = root_ / "jobs" / "mn" / "slurm" / "job.sh";
  std::string cmd = "PATH=" + bin_.string() + ":$PATH /bin/bash " + script.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_NE(Read(root_ / "srun.calls").find("--nodes=2 --ntasks=2 --ntasks-per-node=1"),
            std::string::npos);
  std::string log = Read(spec.log_path);
  EXPECT_NE(log.find("rank=0/0 world=2 port=29500 A=1"), std::string::npos) << log;
  EXPECT_NE(log.find("rank=1/1 world=2 port=29500 A=1"), std::string::npos) << log;
  auto rec = ReadExitFile(spec.exit_path);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->exit_code, 0);
}

}  // namespace
}  // namespace mlws::jobs
