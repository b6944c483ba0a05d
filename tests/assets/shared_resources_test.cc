// SharedResources against a real SQLite store: grants are link rows in the granted workspace,
// resolved to the shared resource; names a workspace already uses are not granted over.
#include "mlws/assets/shared_resources.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "mlws/common/ids.h"

namespace mlws::assets {
namespace {

class SharedResourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mlws-shared-" + NewRunId());
    std::filesystem::create_directories(dir_);
    auto s = store::OpenMetadataStore("sqlite:///" + (dir_ / "db").string());
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    ASSERT_TRUE(store_->Migrate().ok());
    for (const char* name : {"team-a", "team-b"}) {
      ASSERT_TRUE(store_->workspaces().CreateWorkspace(name, "").ok());
    }
    shared_ = std::make_unique<SharedResources>(*store_);
    auto id = shared_->EnsureWorkspace();
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    shared_id_ = *id;
    jobs::Compute c;
    c.workspace_id = shared_id_;
    c.name = "pool";
    c.type = "amlcompute";
    c.max_instances = 4;
    c.spec_json = R"({"name": "pool"})";
    ASSERT_TRUE(store_->jobs().CreateCompute(c).ok());
  }
  void TearDown() override {
    shared_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::int64_t Ws(const char* name) { return store_->workspaces().GetWorkspace(name)->id; }

  std::filesystem::path dir_;
  std::unique_ptr<store::MetadataStore> store_;
  std::unique_ptr<SharedResources> shared_;
  std::int64_t shared_id_ = 0;
};

TEST_F(SharedResourcesTest, EnsureWorkspaceIsIdempotent) {
  auto again = shared_->EnsureWorkspace();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, shared_id_);
}

TEST_F(SharedResourcesTest, AGrantIsALinkResolvedToTheSharedCompute) {
  ASSERT_TRUE(shared_->Grant(SharedKind::kCompute, "pool", "team-a", "alice").ok());
  ASSERT_TRUE(shared_->Grant(SharedKind::kCompute, "pool", "team-a", "alice").ok());  // again
  auto row = store_->jobs().GetCompute(Ws("team-a"), "pool");
  ASSERT_TRUE(row.ok());
  EXPECT_TRUE(SharedResources::IsLink(*row));
  auto c = shared_->Resolve(*row);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->workspace_id, shared_id_);
  EXPECT_EQ(c->max_instances, 4);
  EXPECT_NE(c->spec_json.find("\"shared\":true"), std::string::npos) << c->spec_json;
  EXPECT_FALSE(store_->jobs().GetCompute(Ws("team-b"), "pool").ok());
  auto grants = shared_->Grants(SharedKind::kCompute, "pool");
  ASSERT_TRUE(grants.ok());
  ASSERT_EQ(grants->size(), 1u);
  EXPECT_EQ((*grants)[0].workspace, "team-a");
  EXPECT_EQ((*grants)[0].granted_by, "alice");
}

TEST_F(SharedResourcesTest, RevokeAndForgetRemoveTheLinks) {
  ASSERT_TRUE(shared_->Grant(SharedKind::kCompute, "pool", "team-a", "alice").ok());
  ASSERT_TRUE(shared_->Grant(SharedKind::kCompute, "pool", "team-b", "alice").ok());
  ASSERT_TRUE(shared_->Revoke(SharedKind::kCompute, "pool", "team-a").ok());
  EXPECT_FALSE(store_->jobs().GetCompute(Ws("team-a"), "pool").ok());
  EXPECT_EQ(shared_->Revoke(SharedKind::kCompute, "pool", "team-a").code(),
            ErrorCode::kResourceDoesNotExist);
  ASSERT_TRUE(store_->jobs().DeleteCompute(shared_id_, "pool").ok());
  ASSERT_TRUE(shared_->ForgetResource(SharedKind::kCompute, "pool").ok());
  EXPECT_FALSE(store_->jobs().GetCompute(Ws("team-b"), "pool").ok());
}

TEST_F(SharedResourcesTest, BadGrantsChangeNothing) {
  jobs::Compute own;
  own.workspace_id = Ws("team-b");
  own.name = "pool";
  own.type = "amlcompute";
  own.spec_json = "{}";
  ASSERT_TRUE(store_->jobs().CreateCompute(own).ok());
  EXPECT_EQ(shared_->Grant(SharedKind::kCompute, "pool", "team-b", "alice").code(),
            ErrorCode::kResourceConflict);
  EXPECT_EQ(store_->jobs().GetCompute(Ws("team-b"), "pool")->type, "amlcompute");
  EXPECT_EQ(shared_->Grant(SharedKind::kCompute, "nope", "team-a", "alice").code(),
            ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(shared_->Grant(SharedKind::kCompute, "pool", "no-such", "alice").code(),
            ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(
      shared_->Grant(SharedKind::kCompute, "pool", std::string(kSharedWorkspace), "alice").code(),
      ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(shared_->Grant(SharedKind::kDatastore, "pool", "team-a", "alice").code(),
            ErrorCode::kResourceDoesNotExist);
  EXPECT_FALSE(store_->jobs().GetCompute(Ws("team-a"), "pool").ok());
}

}  // namespace
}  // namespace mlws::assets
