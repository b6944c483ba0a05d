// What a job's token may do (JobTokenAllows, the job scope format).
#include <gtest/gtest.h>

#include "mlws/auth/auth_service.h"

namespace mlws::auth {
namespace {

TEST(JobTokenAllows, TrackingInItsWorkspaceOnly) {
  for (const char* a :
       {"workspaces/runs/write", "workspaces/runs/read", "workspaces/artifacts/write",
        "workspaces/experiments/read", "workspaces/models/write", "server/health/read"}) {
    EXPECT_TRUE(JobTokenAllows(a)) << a;
  }
  for (const char* a :
       {"self/tokens/write", "self/tokens/read", "workspaces/secrets/read",
        "workspaces/secretNames/read", "server/users/write", "server/roleAssignments/write",
        "workspaces/roleAssignments/write", "workspaces/jobs/write", "workspaces/computes/write",
        "workspaces/datastores/write", "server/workspaces/write", "server/audit/read"}) {
    EXPECT_FALSE(JobTokenAllows(a)) << a;
  }
}

TEST(JobScope, RoundTripsAndRejectsMalformed) {
  auto s = ParseJobScope(JobScopeString({12, "abc123"}));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->workspace_id, 12);
  EXPECT_EQ(s->run_id, "abc123");
  EXPECT_FALSE(ParseJobScope("").has_value());
  EXPECT_FALSE(ParseJobScope("job:x:1").has_value());
  EXPECT_FALSE(ParseJobScope("admin").has_value());
  EXPECT_FALSE(ParseJobScope("job:12").has_value());
}

}  // namespace
}  // namespace mlws::auth
