// Datastore I/O (include/mlws/assets/datastore_io.h) between a local folder and a blob store:
// the same calls for a path on this machine and a path in a store, links never followed.
#include "mlws/assets/datastore_io.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mlws/common/ids.h"

namespace mlws::assets {
namespace {

namespace fs = std::filesystem;

class DatastoreIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("mlws-dsio-" + NewRunId());
    fs::create_directories(root_ / "src" / "sub");
    Write(root_ / "src" / "a.txt", "alpha");
    Write(root_ / "src" / "sub" / "b.txt", "bee");
    auto store = artifacts::OpenBlobStore((root_ / "store").string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    at_.blobs = std::shared_ptr<artifacts::BlobStore>(std::move(*store));
    at_.key = "ws/data";
  }
  void TearDown() override { fs::remove_all(root_); }

  static void Write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
  static std::string Read(const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path root_;
  DatastoreLocation at_;
};

TEST_F(DatastoreIoTest, FolderGoesUpAndComesBackWithoutLinks) {
  fs::create_symlink("/etc/passwd", root_ / "src" / "leak");
  ASSERT_EQ(*StatPath(at_), PathKind::kMissing);
  auto up = UploadPath((root_ / "src").string(), at_);
  ASSERT_TRUE(up.ok()) << up.status().message();
  EXPECT_EQ(*up, 8);
  EXPECT_EQ(*StatPath(at_), PathKind::kFolder);
  auto files = ListFiles(at_);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].rel, "a.txt");
  EXPECT_EQ((*files)[1].rel, "sub/b.txt");
  EXPECT_EQ((*files)[1].size, 3);

  ASSERT_TRUE(DownloadPath(at_, (root_ / "dl").string()).ok());
  EXPECT_EQ(Read(root_ / "dl" / "a.txt"), "alpha");
  EXPECT_EQ(Read(root_ / "dl" / "sub" / "b.txt"), "bee");
  EXPECT_FALSE(fs::exists(fs::symlink_status(root_ / "dl" / "leak")));

  ASSERT_TRUE(DeletePath(at_).ok());
  EXPECT_EQ(*StatPath(at_), PathKind::kMissing);
  EXPECT_EQ(DownloadPath(at_, (root_ / "dl2").string()).code(), ErrorCode::kResourceDoesNotExist);
}

TEST_F(DatastoreIoTest, OneFileIsAFileBothWays) {
  DatastoreLocation file = at_;
  file.key = "ws/one.txt";
  ASSERT_TRUE(UploadPath((root_ / "src" / "a.txt").string(), file).ok());
  EXPECT_EQ(*StatPath(file), PathKind::kFile);
  auto files = ListFiles(file);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].rel, "");
  ASSERT_TRUE(DownloadPath(file, (root_ / "out" / "x.txt").string()).ok());
  EXPECT_EQ(Read(root_ / "out" / "x.txt"), "alpha");
}

TEST_F(DatastoreIoTest, EmptyFolderStaysAFolderInAStore) {
  // A job's output folder left empty: a store has no folders, so a marker keeps it.
  fs::create_directories(root_ / "empty");
  auto up = UploadPath((root_ / "empty").string(), at_);
  ASSERT_TRUE(up.ok()) << up.status().message();
  EXPECT_EQ(*up, 0);
  EXPECT_EQ(*StatPath(at_), PathKind::kFolder);
  auto files = ListFiles(at_);
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());  // the marker is not a file
  Status dl = DownloadPath(at_, (root_ / "dl").string());
  ASSERT_TRUE(dl.ok()) << dl.message();
  EXPECT_TRUE(fs::is_directory(root_ / "dl"));
  EXPECT_TRUE(fs::is_empty(root_ / "dl"));
  ASSERT_TRUE(DeletePath(at_).ok());
  EXPECT_EQ(*StatPath(at_), PathKind::kMissing);
}

TEST_F(DatastoreIoTest, EmptySubfoldersSurviveTheStoreBothWays) {
  // An output with files and an empty subfolder (a checkpoints/ folder nothing was written to):
  // the subfolder must still be there when the next step downloads the output.
  fs::create_directories(root_ / "src" / "checkpoints");
  fs::create_directories(root_ / "src" / "deep" / "er");
  auto up = UploadPath((root_ / "src").string(), at_);
  ASSERT_TRUE(up.ok()) << up.status().message();
  auto files = ListFiles(at_);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 2u);  // markers are not files
  Status dl = DownloadPath(at_, (root_ / "dl").string());
  ASSERT_TRUE(dl.ok()) << dl.message();
  EXPECT_EQ(Read(root_ / "dl" / "sub" / "b.txt"), "bee");
  EXPECT_TRUE(fs::is_directory(root_ / "dl" / "checkpoints"));
  EXPECT_TRUE(fs::is_empty(root_ / "dl" / "checkpoints"));
  EXPECT_TRUE(fs::is_directory(root_ / "dl" / "deep" / "er"));
  EXPECT_FALSE(fs::exists(root_ / "dl" / "deep" / "er" / kFolderMarker));

  DatastoreLocation local;  // and a folder copied to a local location keeps them too
  local.local_path = (root_ / "copy").string();
  ASSERT_TRUE(UploadPath((root_ / "src").string(), local).ok());
  EXPECT_TRUE(fs::is_directory(root_ / "copy" / "checkpoints"));
  EXPECT_TRUE(fs::is_directory(root_ / "copy" / "deep" / "er"));
}

TEST(FolderMarkerTest, OnlyTheMarkerNameMatches) {
  EXPECT_TRUE(IsFolderMarker(".mlws-folder"));
  EXPECT_TRUE(IsFolderMarker("ws/o/.mlws-folder"));
  EXPECT_FALSE(IsFolderMarker("ws/o/x.mlws-folder"));
  EXPECT_FALSE(IsFolderMarker("ws/o/.mlws-folder/a"));
  EXPECT_FALSE(IsFolderMarker("folder"));
}

TEST_F(DatastoreIoTest, LocalLocationsUseTheFolder) {
  DatastoreLocation local;
  local.local_path = (root_ / "local" / "copy").string();
  ASSERT_TRUE(UploadPath((root_ / "src").string(), local).ok());
  EXPECT_EQ(Read(root_ / "local" / "copy" / "sub" / "b.txt"), "bee");
  EXPECT_EQ(*StatPath(local), PathKind::kFolder);
  ASSERT_TRUE(DownloadPath(local, (root_ / "back").string()).ok());
  EXPECT_EQ(Read(root_ / "back" / "a.txt"), "alpha");
}

TEST(UploadMarkerKeyTest, SitsBesideTheUploadsFolder) {
  EXPECT_EQ(UploadMarkerKey("1/datastores/workspaceblobstore/LocalUpload/abc"),
            "1/datastores/workspaceblobstore/.mlws-uploads/abc");
}

}  // namespace
}  // namespace mlws::assets
