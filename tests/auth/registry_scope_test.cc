// Registry-scope authorization (docs/registries.md): AzureML Registry User reads and uses, an
// assignment on one registry gives nothing in another or in workspaces.
#include <gtest/gtest.h>

#include <filesystem>

#include "mlws/auth/auth_service.h"
#include "mlws/common/ids.h"

namespace mlws::auth {
namespace {

TEST(RegistryUserRoleTest, ReadsAndUsesButDoesNotWrite) {
  auto role = FindBuiltinRole("AzureML Registry User");
  ASSERT_TRUE(role.has_value());
  EXPECT_TRUE(RoleAllows(*role, "registries/read"));
  EXPECT_TRUE(RoleAllows(*role, "registries/models/read"));
  EXPECT_TRUE(RoleAllows(*role, "registries/components/read"));
  EXPECT_FALSE(RoleAllows(*role, "registries/models/write"));
  EXPECT_FALSE(RoleAllows(*role, "workspaces/models/read"));
  EXPECT_FALSE(RoleAllows(*role, "server/registries/write"));
}

TEST(RegistryScopeTest, AssignmentsApplyToTheirRegistryOnly) {
  auto dir = std::filesystem::temp_directory_path() / ("mlws-regscope-" + NewRunId());
  std::filesystem::create_directories(dir);
  {
    auto s = store::OpenMetadataStore("sqlite:///" + (dir / "db").string());
    ASSERT_TRUE(s.ok());
    auto store = std::move(*s);
    ASSERT_TRUE(store->Migrate().ok());
    // Registry scopes are their asset workspaces (include/mlws/registries/registry_directory.h).
    auto reg = store->workspaces().CreateWorkspace("registry:one", "{}");
    auto other = store->workspaces().CreateWorkspace("registry:two", "{}");
    auto ws = store->workspaces().CreateWorkspace("team", "");
    ASSERT_TRUE(reg.ok() && other.ok() && ws.ok());
    AuthService auth(*store);
    ASSERT_TRUE(auth.Init(true, std::nullopt).ok());
    ASSERT_TRUE(auth.CreateUser("admin", "admin password").ok());
    auto carol = auth.CreateUser("carol", "carol password");
    ASSERT_TRUE(carol.ok());
    ASSERT_TRUE(auth.Assign("carol", "", "AzureML Registry User", reg->id).ok());
    Principal who{carol->id, "carol", false};
    EXPECT_TRUE(auth.Authorize(who, "registries/models/read", reg->id).ok());
    EXPECT_EQ(auth.Authorize(who, "registries/models/write", reg->id).code(),
              ErrorCode::kPermissionDenied);
    EXPECT_EQ(auth.Authorize(who, "registries/models/read", other->id).code(),
              ErrorCode::kPermissionDenied);
    EXPECT_EQ(auth.Authorize(who, "workspaces/models/read", ws->id).code(),
              ErrorCode::kPermissionDenied);
    // A workspace-scope role does not reach registries.
    ASSERT_TRUE(auth.Assign("carol", "", "Owner", ws->id).ok());
    EXPECT_EQ(auth.Authorize(who, "registries/models/write", reg->id).code(),
              ErrorCode::kPermissionDenied);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mlws::auth
