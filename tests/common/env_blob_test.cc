// The Env seam under the local blob store (src/artifacts/local): an artifact upload whose fsync
// fails, or that fills the disk, is an error (a 5xx at the API: 500 / 503) with nothing stored:
// no blob, no partial file anywhere under the root, and the blob it would have replaced intact.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "artifacts/local/local_blob_store.h"
#include "mlws/common/env.h"

namespace mlws {
namespace {

namespace fs = std::filesystem;

class EnvBlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/env-blob-test-XXXXXX";
    root_ = mkdtemp(tmpl);
    auto store = artifacts::OpenLocalBlobStore(root_.string(), &env_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  void TearDown() override { fs::remove_all(root_); }

  Status Put(const std::string& key, std::string data) {
    auto r = artifacts::StringReader(std::move(data));
    return store_->Put(key, *r);
  }
  std::string Get(const std::string& key) {
    auto r = store_->Get(key);
    if (!r.ok()) return "<" + r.status().ToString() + ">";
    std::string out(1 << 16, '\0');
    auto n = (*r)->Read(out.data(), out.size());
    out.resize(n.ok() ? *n : 0);
    return out;
  }
  // Every regular file under the root (the staging folder included).
  std::vector<std::string> Files() {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root_)) {
      if (e.is_regular_file()) out.push_back(fs::relative(e.path(), root_).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path root_;
  FaultEnv env_;
  std::unique_ptr<artifacts::BlobStore> store_;
};

bool IsServerError(const Status& st) {
  return st.code() == ErrorCode::kInternalError || st.code() == ErrorCode::kTemporarilyUnavailable;
}

TEST_F(EnvBlobTest, FailedFsyncStoresNothing) {
  ASSERT_TRUE(Put("run/model.pkl", "version 1").ok());
  env_.FailSyncs(true);
  Status st = Put("run/model.pkl", std::string(3 << 20, 'x'));  // several chunks
  EXPECT_TRUE(IsServerError(st)) << st.ToString();
  st = Put("run/new.txt", "new");
  EXPECT_TRUE(IsServerError(st)) << st.ToString();
  env_.FailSyncs(false);
  EXPECT_EQ(Get("run/model.pkl"), "version 1");
  EXPECT_EQ(store_->Stat("run/new.txt").status().code(), ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(Files(), std::vector<std::string>{"run/model.pkl"});
}

TEST_F(EnvBlobTest, FullDiskStoresNothingAndSaysSo) {
  env_.DiskFullAfter(1 << 20);  // 1 MiB left: a 3 MiB upload runs out midway
  Status st = Put("big.bin", std::string(3 << 20, 'y'));
  EXPECT_EQ(st.code(), ErrorCode::kTemporarilyUnavailable) << st.ToString();
  EXPECT_NE(st.message().find("no space left on device"), std::string::npos) << st.message();
  EXPECT_EQ(store_->Stat("big.bin").status().code(), ErrorCode::kResourceDoesNotExist);
  EXPECT_TRUE(Files().empty()) << Files().front();
  // Multipart: a part that does not fit is refused, the upload can still be aborted cleanly.
  auto id = store_->CreateMultipart("mp.bin");
  ASSERT_TRUE(id.ok());
  env_.DiskFullAfter(10);
  auto part = artifacts::StringReader(std::string(100, 'z'));
  EXPECT_FALSE(store_->UploadPart("mp.bin", *id, 1, *part).ok());
  EXPECT_TRUE(store_->AbortMultipart("mp.bin", *id).ok());
  EXPECT_EQ(store_->Stat("mp.bin").status().code(), ErrorCode::kResourceDoesNotExist);
  env_.DiskFullAfter(-1);
  EXPECT_TRUE(Put("big.bin", "fits now").ok());
  EXPECT_EQ(Get("big.bin"), "fits now");
}

}  // namespace
}  // namespace mlws
