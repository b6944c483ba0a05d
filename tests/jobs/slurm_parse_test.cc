// Parsing what Slurm's tools print (src/jobs/slurm_parse.cc), on output captured from Slurm 22.05.
#include "jobs/slurm_parse.h"

#include <gtest/gtest.h>

namespace mlws::jobs {
namespace {

TEST(SlurmParse, SqueueLinesWithStatesTimesAndNodes) {
  auto jobs = ParseSqueue(
      "1|FAILED|2026-12-01T12:53:19|2026-12-01T12:53:20|1\n"
      "2|PENDING|N/A|N/A|2\n"
      "7_3|RUNNING|N/A|N/A|1\n"  // an array task: not one of ours
      "garbage\n");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].id, 1);
  EXPECT_EQ(jobs[0].state, "FAILED");
  EXPECT_EQ(jobs[0].end_ms - jobs[0].start_ms, 1000);
  EXPECT_EQ(jobs[0].nodes, 1);
  EXPECT_EQ(jobs[0].exit_code, -1);  // squeue's format carries none
  EXPECT_EQ(jobs[1].state, "PENDING");
  EXPECT_EQ(jobs[1].start_ms, 0);
  EXPECT_EQ(jobs[1].nodes, 2);
}

TEST(SlurmParse, ScontrolOneLinePerJob) {
  auto jobs = ParseScontrolJobs(
      "JobId=3 JobName=mlws-x UserId=root(0) JobState=CANCELLED Reason=None ExitCode=0:15 "
      "RunTime=00:00:02 StartTime=2026-12-01T12:53:19 EndTime=2026-12-01T12:53:21 "
      "NodeList=mlwsnode NumNodes=1 NumCPUs=1 Command=/a b/job.sh\n"
      "JobId=4 JobState=PENDING ExitCode=0:0 StartTime=Unknown EndTime=Unknown NumNodes=1-2\n");
  ASSERT_EQ(jobs.size(), 2u);
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
      "13|COMPLETED|3:0|2026-12-01T12:00:00|2026-12-01T12:00:05|1\n");
  ASSERT_EQ(jobs.size(), 2u);
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
