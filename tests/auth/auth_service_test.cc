// AuthService against a real SQLite store: job-token scopes and throttling.
#include "mlws/auth/auth_service.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "mlws/common/ids.h"

namespace mlws::auth {
namespace {

class AuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mlws-auth-" + NewRunId());
    std::filesystem::create_directories(dir_);
    auto s = store::OpenMetadataStore("sqlite:///" + (dir_ / "db").string());
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    ASSERT_TRUE(store_->Migrate().ok());
    auto a = store_->workspaces().CreateWorkspace("a", "");
    auto b = store_->workspaces().CreateWorkspace("b", "");
    ASSERT_TRUE(a.ok() && b.ok());
    ws_a_ = a->id;
    ws_b_ = b->id;
    auth_ = std::make_unique<AuthService>(*store_);
    ASSERT_TRUE(auth_->Init(true, std::nullopt).ok());
    auto owner = auth_->CreateUser("owner", "owner password");  // the first user: Owner
    ASSERT_TRUE(owner.ok());
    owner_ = Principal{owner->id, owner->name, false};
  }
  void TearDown() override {
    auth_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::MetadataStore> store_;
  std::unique_ptr<AuthService> auth_;
  Principal owner_;
  std::int64_t ws_a_ = 0, ws_b_ = 0;
};

TEST_F(AuthServiceTest, JobTokenIsLimitedToTrackingInItsWorkspace) {
  auto t = auth_->CreateJobToken(owner_, "job x", TokenScope{ws_a_, "run1"}, 1);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto who = auth_->Authenticate("Bearer " + t->secret, "127.0.0.1");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  ASSERT_TRUE(who->scope.has_value());
  EXPECT_EQ(who->scope->workspace_id, ws_a_);
  EXPECT_EQ(who->scope->run_id, "run1");
  // The owner may do everything; the job's token only what a job needs, in its workspace.
  EXPECT_TRUE(auth_->Authorize(*who, "workspaces/runs/write", ws_a_).ok());
  EXPECT_TRUE(auth_->Authorize(*who, "workspaces/artifacts/write", ws_a_).ok());
  EXPECT_EQ(auth_->Authorize(*who, "workspaces/runs/write", ws_b_).code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(auth_->Authorize(*who, "workspaces/runs/write", std::nullopt).code(),
            ErrorCode::kPermissionDenied);
  for (const char* a : {"self/tokens/write", "workspaces/secrets/read", "server/users/write",
                        "workspaces/jobs/write", "server/roleAssignments/write"}) {
    EXPECT_EQ(auth_->Authorize(*who, a, ws_a_).code(), ErrorCode::kPermissionDenied) << a;
    EXPECT_TRUE(auth_->Authorize(owner_, a, ws_a_).ok()) << a;
  }
  // The token is listed with its scope and can be revoked like any other.
  auto list = auth_->ListTokens(owner_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].scope, JobScopeString({ws_a_, "run1"}));
  ASSERT_TRUE(auth_->RevokeToken(owner_, t->info.id, true).ok());
  EXPECT_EQ(auth_->Authenticate("Bearer " + t->secret, "127.0.0.1").status().code(),
            ErrorCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, ScopeOnlyNarrowsTheUsersOwnPermissions) {
  auto reader = auth_->CreateUser("reader", "reader password");
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(auth_->Assign("reader", "", "Reader", ws_a_).ok());
  Principal p{reader->id, reader->name, false};
  auto t = auth_->CreateJobToken(p, "job y", TokenScope{ws_a_, "run2"}, 1);
  ASSERT_TRUE(t.ok());
  auto who = auth_->Authenticate("Bearer " + t->secret, "10.0.0.1");
  ASSERT_TRUE(who.ok());
  EXPECT_TRUE(auth_->Authorize(*who, "workspaces/runs/read", ws_a_).ok());
  EXPECT_EQ(auth_->Authorize(*who, "workspaces/runs/write", ws_a_).code(),
            ErrorCode::kPermissionDenied);  // allowed for jobs, but not for a Reader
}

TEST_F(AuthServiceTest, FailuresNeverRefuseAValidCredential) {
  auto t = auth_->CreateToken(owner_, "ci", std::nullopt);
  ASSERT_TRUE(t.ok());
  int throttled = 0;
  for (int i = 0; i < 60; ++i) {
    auto r = auth_->Authenticate(std::string("Bearer bogus"), "127.0.0.1");
    ASSERT_FALSE(r.ok());
    if (r.status().code() == ErrorCode::kRequestLimitExceeded) ++throttled;
  }
  EXPECT_EQ(throttled, 10);  // the 51st failure on
  EXPECT_TRUE(auth_->Authenticate("Bearer " + t->secret, "127.0.0.1").ok());
  // Wrong passwords for one user name: 5 give 401, then 429; the right one still gets in.
  const std::string wrong = "Basic b3duZXI6bm9wZQ==";  // owner:nope
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(auth_->Authenticate(wrong, "10.0.0.2").status().code(), ErrorCode::kUnauthenticated);
  }
  EXPECT_EQ(auth_->Authenticate(wrong, "10.0.0.2").status().code(),
            ErrorCode::kRequestLimitExceeded);
  const std::string right = "Basic b3duZXI6b3duZXIgcGFzc3dvcmQ=";  // owner:owner password
  EXPECT_TRUE(auth_->Authenticate(right, "10.0.0.2").ok());
}

}  // namespace
}  // namespace mlws::auth
