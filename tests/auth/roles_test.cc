#include "mlws/auth/roles.h"

#include <gtest/gtest.h>

#include "mlws/auth/passwords.h"

namespace mlws::auth {
namespace {

TEST(ActionMatchesTest, Wildcards) {
  EXPECT_TRUE(ActionMatches("*", "workspaces/runs/write"));
  EXPECT_TRUE(ActionMatches("workspaces/*", "workspaces/runs/write"));
  EXPECT_FALSE(ActionMatches("workspaces/*", "server/users/write"));
  EXPECT_TRUE(ActionMatches("*/read", "workspaces/runs/read"));
  EXPECT_TRUE(ActionMatches("*/read", "server/health/read"));
  EXPECT_FALSE(ActionMatches("*/read", "workspaces/runs/write"));
  EXPECT_TRUE(ActionMatches("*/roleAssignments/*", "server/roleAssignments/write"));
  EXPECT_FALSE(ActionMatches("*/roleAssignments/*", "server/users/write"));
  EXPECT_TRUE(ActionMatches("workspaces/runs/write", "workspaces/runs/write"));
  EXPECT_FALSE(ActionMatches("workspaces/runs", "workspaces/runs/write"));
}

TEST(BuiltinRolesTest, AzureMlSemantics) {
  auto owner = *FindBuiltinRole("Owner");
  auto contributor = *FindBuiltinRole("Contributor");
  auto reader = *FindBuiltinRole("Reader");
  auto scientist = *FindBuiltinRole("AzureML Data Scientist");
  auto compute = *FindBuiltinRole("AzureML Compute Operator");
  EXPECT_TRUE(RoleAllows(owner, "server/roleAssignments/write"));
  EXPECT_TRUE(RoleAllows(contributor, "workspaces/runs/write"));
  EXPECT_FALSE(RoleAllows(contributor, "server/roleAssignments/write"));
  EXPECT_FALSE(RoleAllows(contributor, "server/users/write"));
  EXPECT_TRUE(RoleAllows(reader, "workspaces/runs/read"));
  EXPECT_FALSE(RoleAllows(reader, "workspaces/runs/write"));
  EXPECT_FALSE(RoleAllows(reader, "server/audit/read"));
  EXPECT_TRUE(RoleAllows(scientist, "workspaces/runs/write"));
  EXPECT_FALSE(RoleAllows(scientist, "workspaces/computes/write"));
  EXPECT_FALSE(RoleAllows(scientist, "server/users/write"));
  EXPECT_TRUE(RoleAllows(compute, "workspaces/computes/write"));
  EXPECT_FALSE(RoleAllows(compute, "workspaces/runs/write"));
  EXPECT_FALSE(FindBuiltinRole("Boss").has_value());
}

TEST(PasswordsTest, Argon2idRoundTripAndTokenFormat) {
  auto h = HashPassword("correct horse");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(VerifyPassword(*h, "correct horse"));
  EXPECT_FALSE(VerifyPassword(*h, "correct horsE"));
  EXPECT_NE(*HashPassword("correct horse"), *h);  // salted
  EXPECT_FALSE(ValidatePassword("short").ok());
  std::string t1 = NewTokenSecret(), t2 = NewTokenSecret();
  EXPECT_EQ(t1.rfind("mlws_", 0), 0u);
  EXPECT_EQ(t1.size(), 5u + 43u);
  EXPECT_NE(t1, t2);
}

}  // namespace
}  // namespace mlws::auth
