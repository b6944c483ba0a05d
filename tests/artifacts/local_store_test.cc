#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mlws/artifacts/artifact_store.h"
#include "mlws/common/ids.h"

namespace mlws::artifacts {
namespace {

namespace fs = std::filesystem;

TEST(ArtifactPathTest, RejectsEscapes) {
  EXPECT_TRUE(ValidateArtifactPath("").ok());
  EXPECT_TRUE(ValidateArtifactPath("1/abc/artifacts/model/MLmodel").ok());
  for (const char* bad : {"..", "../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a\\b"}) {
    EXPECT_EQ(ValidateArtifactPath(bad).code(), ErrorCode::kInvalidParameterValue) << bad;
  }
  EXPECT_FALSE(ValidateArtifactPath(std::string("a\0b", 3)).ok());
}

TEST(LocalArtifactStoreTest, CommitListOpenDeleteAndSymlinkEscape) {
  fs::path root = fs::temp_directory_path() / ("mlws-art-" + NewRunId());
  fs::path outside = fs::temp_directory_path() / ("mlws-outside-" + NewRunId());
  fs::create_directories(outside);
  auto store = OpenArtifactStore("file://" + root.string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->PutBytes("a/b/c.txt", "hello").ok());
  auto f = (*store)->Open("a/b/c.txt");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->size, 5);
  auto list = (*store)->List("a");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].path, "b");
  EXPECT_TRUE((*list)[0].is_dir);
  EXPECT_TRUE((*store)->List("missing")->empty());
  // A symlink inside the root that points outside must not be followed.
  fs::create_symlink(outside, root / "evil");
  EXPECT_FALSE((*store)->PutBytes("evil/x.txt", "no").ok());
  EXPECT_FALSE(fs::exists(outside / "x.txt"));
  EXPECT_TRUE((*store)->Delete("a").ok());
  EXPECT_EQ((*store)->Open("a/b/c.txt").status().code(), ErrorCode::kResourceDoesNotExist);
  fs::remove_all(root);
  fs::remove_all(outside);
}

}  // namespace
}  // namespace mlws::artifacts
