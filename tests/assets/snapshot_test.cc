// Snapshots: content hashes that ignore everything but paths and bytes, pack/unpack round trips,
// and archives that try to escape.
#include "mlws/assets/snapshot.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace mlws::assets {
namespace {

namespace fs = std::filesystem;

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("snap-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "src" / "sub");
    Write(dir_ / "src" / "a.txt", "alpha");
    Write(dir_ / "src" / "sub" / "b.bin", std::string("\0\1\2", 3));
  }
  void TearDown() override { fs::remove_all(dir_); }
  static void Write(const fs::path& p, const std::string& data) {
    std::ofstream(p, std::ios::binary) << data;
  }
  fs::path dir_;
};

TEST_F(SnapshotTest, HashDependsOnPathsAndBytesOnly) {
  auto h1 = HashLocalPath((dir_ / "src").string());
  ASSERT_TRUE(h1.ok());
  EXPECT_TRUE(IsContentHash(h1->hash));
  EXPECT_EQ(h1->files, 2);
  EXPECT_EQ(h1->bytes, 8);
  fs::copy(dir_ / "src", dir_ / "copy", fs::copy_options::recursive);
  fs::create_directories(dir_ / "copy" / "empty");  // empty folders are not content
  EXPECT_EQ(HashLocalPath((dir_ / "copy").string())->hash, h1->hash);
  Write(dir_ / "copy" / "a.txt", "alphA");
  EXPECT_NE(HashLocalPath((dir_ / "copy").string())->hash, h1->hash);
  // A single file hashes as a folder holding only it.
  fs::create_directories(dir_ / "one");
  Write(dir_ / "one" / "a.txt", "alpha");
  EXPECT_EQ(HashLocalPath((dir_ / "src" / "a.txt").string())->hash,
            HashLocalPath((dir_ / "one").string())->hash);
  EXPECT_FALSE(HashLocalPath((dir_ / "missing").string()).ok());
}

TEST_F(SnapshotTest, RefusesSymlinks) {
  fs::create_symlink("/etc/passwd", dir_ / "src" / "link");
  auto h = HashLocalPath((dir_ / "src").string());
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("symbolic links"), std::string::npos);
}

TEST_F(SnapshotTest, PackUnpackRoundTrip) {
  std::int64_t last = 0;
  auto packed = PackSnapshot((dir_ / "src").string(), (dir_ / "s.tar.zst").string(),
                             [&](std::int64_t done, std::int64_t) { last = done; });
  ASSERT_TRUE(packed.ok()) << packed.status().message();
  EXPECT_EQ(last, 8);
  auto un = UnpackSnapshot((dir_ / "s.tar.zst").string(), (dir_ / "out").string(), 10, 1000);
  ASSERT_TRUE(un.ok()) << un.status().message();
  EXPECT_EQ(un->hash, packed->hash);
  std::ifstream in(dir_ / "out" / "sub" / "b.bin", std::ios::binary);
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, std::string("\0\1\2", 3));
  // Limits: too many files or bytes, and the destination is removed.
  EXPECT_FALSE(UnpackSnapshot((dir_ / "s.tar.zst").string(), (dir_ / "o2").string(), 1, 1000).ok());
  EXPECT_FALSE(fs::exists(dir_ / "o2"));
  EXPECT_FALSE(UnpackSnapshot((dir_ / "s.tar.zst").string(), (dir_ / "o3").string(), 10, 4).ok());
  EXPECT_FALSE(fs::exists(dir_ / "o3"));
  // Garbage is not an archive.
  Write(dir_ / "junk", "not a tar");
  EXPECT_FALSE(UnpackSnapshot((dir_ / "junk").string(), (dir_ / "o4").string(), 10, 1000).ok());
}

}  // namespace
}  // namespace mlws::assets
