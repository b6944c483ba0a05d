// Workspace ids are never reused (src/store/sqlite/workspace_store.cc, migration 9), even across
// a reopen: caches keyed by workspace id must never see a deleted workspace's id again.
#include <gtest/gtest.h>

#include <filesystem>

#include "mlws/common/ids.h"
#include "mlws/store/metadata_store.h"

namespace mlws::store {
namespace {

TEST(WorkspaceIds, DeletedIdsAreNeverHandedOutAgain) {
  auto dir = std::filesystem::temp_directory_path() / ("mlws-wsids-" + NewRunId());
  std::string uri = "sqlite:///" + (dir / "db.sqlite").string();
  std::int64_t last = 0;
  {
    auto s = OpenMetadataStore(uri);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE((*s)->Migrate().ok());
    auto a = (*s)->workspaces().CreateWorkspace("a", "");
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE((*s)->workspaces().DeleteWorkspace("a").ok());
    auto b = (*s)->workspaces().CreateWorkspace("b", "");
    ASSERT_TRUE(b.ok());
    EXPECT_GT(b->id, a->id);  // SQLite's rowid alone would give a->id again
    ASSERT_TRUE((*s)->workspaces().DeleteWorkspace("b").ok());
    last = b->id;
  }
  auto s = OpenMetadataStore(uri);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->Migrate().ok());
  auto c = (*s)->workspaces().CreateWorkspace("c", "");
  ASSERT_TRUE(c.ok());
  EXPECT_GT(c->id, last);
  s->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mlws::store
