// Parsing what Slurm's tools print (src/jobs/slurm_parse.cc), on output captured from Slurm 22.05.
#include "jobs/slurm_parse.h"

#include <gtest/gtest.h>

namespace mlws::jobs {
namespace {

TEST(SlurmParse, SqueueLinesWithStatesTimesNodesAndReasons) {
  auto jobs = ParseSqueue(
      "1|FAILED|2026-12-01T12:53:19|2026-12-01T12:53:20|1|None\n"
      "2|PENDING|N/A|N/A|2|PartitionNodeLimit\n"
      "7_3|PENDING|N/A|N/A|1|Nodes required for job are DOWN, DRAINED or reserved|x\n"
      "7_[4-9]|PENDING|N/A|N/A|1|Priority\n"  // not expanded (no -r): skipped
      "garbage\n");
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].id, 1);
  EXPECT_EQ(jobs[0].array_task, -1);
  EXPECT_EQ(jobs[0].state, "FAILED");
  EXPECT_EQ(jobs[0].end_ms - jobs[0].start_ms, 1000);
  EXPECT_EQ(jobs[0].nodes, 1);
  EXPECT_EQ(jobs[0].exit_code, -1);  // squeue's format carries none
  EXPECT_EQ(jobs[0].reason, "");     // "None"
  EXPECT_EQ(jobs[1].state, "PENDING");
  EXPECT_EQ(jobs[1].start_ms, 0);
  EXPECT_EQ(jobs[1].nodes, 2);
  EXPECT_EQ(jobs[1].reason, "PartitionNodeLimit");
  EXPECT_EQ(jobs[2].id, 7);  // an array task: the array's id and the task's index
  EXPECT_EQ(jobs[2].array_task, 3);
  EXPECT_EQ(jobs[2].reason, "Nodes required for job are DOWN, DRAINED or reserved|x");
}

TEST(SlurmParse, JobIdsAndArrayTasks) {
  std::int64_t id = 0;
  int task = 0;
  EXPECT_TRUE(ParseSlurmJobId("12", id, task));
  EXPECT_EQ(id, 12);
  EXPECT_EQ(task, -1);
  EXPECT_TRUE(ParseSlurmJobId("12_0", id, task));
  EXPECT_EQ(task, 0);
  for (const char* bad : {"", "12_", "_3", "12_[0-3]", "12+0", "-1", "x"}) {
    EXPECT_FALSE(ParseSlurmJobId(bad, id, task)) << bad;
  }
  EXPECT_EQ(SlurmJobKey(12, -1), "12");
  EXPECT_EQ(SlurmJobKey(12, 7), "12_7");
}

TEST(SlurmParse, ScontrolOneLinePerJob) {
  auto jobs = ParseScontrolJobs(
      "JobId=3 JobName=mlws-x UserId=root(0) JobState=CANCELLED Reason=None ExitCode=0:15 "
      "RunTime=00:00:02 StartTime=2026-12-01T12:53:19 EndTime=2026-12-01T12:53:21 "
      "NodeList=mlwsnode NumNodes=1 NumCPUs=1 Command=/a b/job.sh\n"
      "JobId=4 JobState=PENDING Reason=Nodes_required_for_job ExitCode=0:0 StartTime=Unknown "
      "EndTime=Unknown NumNodes=1-2\n"
      "JobId=9 ArrayJobId=8 ArrayTaskId=2 JobState=COMPLETED ExitCode=0:0 NumNodes=1\n"
      "JobId=8 ArrayJobId=8 ArrayTaskId=3-5 JobState=PENDING ExitCode=0:0 NumNodes=1\n");
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[1].reason, "Nodes required for job");
  EXPECT_EQ(jobs[2].id, 8);  // task 2 of array 8 (its own job id 9 is not what mlws knows)
  EXPECT_EQ(jobs[2].array_task, 2);
  EXPECT_EQ(jobs[0].reason, "");
  EXPECT_EQ(jobs[0].id, 3);
  EXPECT_EQ(jobs[0].state, "CANCELLED");
  EXPECT_EQ(jobs[0].exit_code, 0);
  EXPECT_EQ(jobs[0].signal, 15);
  EXPECT_EQ(jobs[0].end_ms - jobs[0].start_ms, 2000);
  EXPECT_EQ(jobs[1].nodes, 1);
  EXPECT_EQ(jobs[1].start_ms, 0);
}

TEST(SlurmParse, SacctParsableLines) {
  auto jobs = ParseSacct(
      "12|CANCELLED by 0|0:15|2026-12-01T12:00:00|2026-12-01T12:01:00|2\n"
      "13|COMPLETED|3:0|2026-12-01T12:00:00|2026-12-01T12:00:05|1\n"
      "14_2|TIMEOUT|0:0|2026-12-01T12:00:00|2026-12-01T12:00:05|1\n");
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[2].id, 14);
  EXPECT_EQ(jobs[2].array_task, 2);
  EXPECT_EQ(jobs[0].state, "CANCELLED");
  EXPECT_EQ(jobs[0].nodes, 2);
  EXPECT_EQ(jobs[0].end_ms - jobs[0].start_ms, 60000);
  EXPECT_EQ(jobs[1].exit_code, 3);
}

TEST(SlurmParse, EndedStates) {
  for (const char* s : {"COMPLETED", "FAILED", "CANCELLED by 0", "TIMEOUT", "NODE_FAIL",
                        "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED"}) {
    EXPECT_TRUE(SlurmStateEnded(s)) << s;
  }
  for (const char* s :
       {"PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED", "REQUEUED", ""}) {
    EXPECT_FALSE(SlurmStateEnded(s)) << s;
  }
}

TEST(SlurmParse, Times) {
  EXPECT_EQ(ParseSlurmTime("Unknown"), 0);
  EXPECT_EQ(ParseSlurmTime("N/A"), 0);
  EXPECT_EQ(ParseSlurmTime("2026-12-01T12:53:19x"), 0);
  EXPECT_GT(ParseSlurmTime("2026-12-01T12:53:19"), 0);
  EXPECT_EQ(SlurmTimeLimit(61), "1:01");
  EXPECT_EQ(SlurmTimeLimit(3600), "60:00");
}

TEST(SlurmParse, Durations) {
  EXPECT_EQ(ParseSlurmDuration("30"), 1800);
  EXPECT_EQ(ParseSlurmDuration("1:30"), 90);
  EXPECT_EQ(ParseSlurmDuration("2:00:01"), 7201);
  EXPECT_EQ(ParseSlurmDuration("1-2"), 86400 + 7200);
  EXPECT_EQ(ParseSlurmDuration("1-2:03"), 86400 + 7200 + 180);
  EXPECT_EQ(ParseSlurmDuration("1-2:03:04"), 86400 + 7200 + 184);
  for (const char* bad : {"", "x", "1:2:3:4", "-1", "1-", "1::2", "1-2:3:4:5", "1.5"}) {
    EXPECT_EQ(ParseSlurmDuration(bad), -1) << bad;
  }
}

}  // namespace
}  // namespace mlws::jobs
