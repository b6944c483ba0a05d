// The BlobStore contract (include/mlws/artifacts/blob_store.h), one set of tests run against
// every backend: the local folder and S3 (S3Proxy, started by s3proxy_fixture.h; the S3 run skips,
// saying why, when java or the jar is absent).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "mlws/artifacts/artifact_store.h"
#include "mlws/artifacts/blob_store.h"
#include "mlws/common/ids.h"
#include "mlws/common/sha256.h"
#include "s3proxy_fixture.h"

namespace mlws::artifacts {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kMiB = 1 << 20;

// A reader that does not know its size (a body being received).
class UnsizedReader final : public BlobReader {
 public:
  explicit UnsizedReader(std::string data) : inner_(StringReader(std::move(data))) {}
  StatusOr<std::size_t> Read(char* buf, std::size_t cap) override {
    return inner_->Read(buf, std::min<std::size_t>(cap, 100000));
  }
  std::optional<std::int64_t> Size() const override { return std::nullopt; }

 private:
  std::unique_ptr<BlobReader> inner_;
};

std::string Pattern(std::int64_t n, char seed) {
  std::string s(static_cast<std::size_t>(n), 0);
  for (std::int64_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + (i * 7 + i / 4096) % 61);
  return s;
}

class BlobStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    tmp_ = fs::temp_directory_path() / ("mlws-blob-" + NewRunId());
    fs::create_directories(tmp_);
    S3Options s3;
    s3.multipart_threshold = 5 * kMiB;  // small, so PutFile goes multipart in a test
    s3.part_size = 5 * kMiB;
    if (GetParam() == "local") {
      uri_ = "file://" + (tmp_ / "root").string();
    } else {
      std::string why;
      std::string endpoint = testing::S3ProxyEndpoint(&why);
      if (endpoint.empty()) GTEST_SKIP() << "S3 run skipped: " << why;
      s3.endpoint_url = endpoint;
      s3.access_key_id = testing::kS3ProxyKey;
      s3.secret_access_key = testing::kS3ProxySecret;
      uri_ = std::string("s3://") + testing::kS3ProxyBucket + "/t-" + NewRunId();
    }
    auto store = OpenBlobStore(uri_, s3);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }

  Status PutString(const std::string& key, const std::string& data) {
    auto r = StringReader(data);
    return store_->Put(key, *r);
  }
  std::string GetString(const std::string& key, ByteRange range = {}) {
    auto r = store_->Get(key, range);
    EXPECT_TRUE(r.ok()) << key << ": " << r.status().ToString();
    if (!r.ok()) return "<error>";
    auto all = ReadAll(**r, 64 * kMiB);
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    return all.ok() ? *all : "<error>";
  }
  std::vector<std::string> AllKeys(ListOptions o) {
    std::vector<std::string> keys;
    do {
      auto page = store_->List(o);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      EXPECT_LE(static_cast<int>(page->blobs.size() + page->prefixes.size()), o.max_keys);
      for (const auto& b : page->blobs) keys.push_back(b.key);
      for (const auto& p : page->prefixes) keys.push_back(p);
      o.page_token = page->next_page_token;
    } while (!o.page_token.empty());
    return keys;
  }

  fs::path tmp_;
  std::string uri_;
  std::unique_ptr<BlobStore> store_;
};

TEST_P(BlobStoreTest, PutGetStatOverwriteAndMissing) {
  ASSERT_TRUE(PutString("a/b/c.txt", "hello").ok());
  EXPECT_EQ(GetString("a/b/c.txt"), "hello");
  auto info = store_->Stat("a/b/c.txt");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 5);
  EXPECT_GT(info->mtime_ms, 0);
  ASSERT_TRUE(PutString("a/b/c.txt", "replaced!").ok());
  EXPECT_EQ(GetString("a/b/c.txt"), "replaced!");
  ASSERT_TRUE(PutString("empty", "").ok());
  EXPECT_EQ(GetString("empty"), "");
  EXPECT_EQ(store_->Get("a/b/missing").status().code(), ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(store_->Stat("a/b").status().code(), ErrorCode::kResourceDoesNotExist);
  for (const char* bad : {"", "a/", "../x", "/abs", "a//b", "a/./b"}) {
    EXPECT_EQ(PutString(bad, "x").code(), ErrorCode::kInvalidParameterValue) << bad;
    EXPECT_EQ(store_->Get(bad).status().code(), ErrorCode::kInvalidParameterValue) << bad;
  }
  EXPECT_EQ(store_->Uri(), uri_);
}

TEST_P(BlobStoreTest, RangedReads) {
  std::string data = Pattern(100000, 'a');
  ASSERT_TRUE(PutString("r.bin", data).ok());
  EXPECT_EQ(GetString("r.bin", {10, 20}), data.substr(10, 20));
  EXPECT_EQ(GetString("r.bin", {99990, std::nullopt}), data.substr(99990));
  EXPECT_EQ(GetString("r.bin", {99990, 1000}), data.substr(99990));
  auto r = store_->Get("r.bin", {5, 7});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->Size().value_or(-1), 7);
  EXPECT_EQ(store_->Get("r.bin", {100000, std::nullopt}).status().code(),
            ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(store_->Get("r.bin", {-1, std::nullopt}).status().code(),
            ErrorCode::kInvalidParameterValue);
}

TEST_P(BlobStoreTest, ListsByPrefixWithFoldersAndPages) {
  for (const char* k :
       {"a/b/c.txt", "a/b/d.txt", "a/bc.txt", "a/e/f/g.txt", "a/z.txt", "top.txt", "x y/ü.txt"}) {
    ASSERT_TRUE(PutString(k, k).ok()) << k;
  }
  ListOptions o;
  o.delimited = true;
  EXPECT_EQ(AllKeys(o), (std::vector<std::string>{"top.txt", "a/", "x y/"}));
  o.prefix = "a/";
  EXPECT_EQ(AllKeys(o), (std::vector<std::string>{"a/bc.txt", "a/z.txt", "a/b/", "a/e/"}));
  o.delimited = false;
  o.prefix = "a/b";  // a string prefix, not a folder
  EXPECT_EQ(AllKeys(o), (std::vector<std::string>{"a/b/c.txt", "a/b/d.txt", "a/bc.txt"}));
  // Pages of 2 give every key exactly once, in order.
  o.prefix = "";
  o.max_keys = 2;
  EXPECT_EQ(AllKeys(o),
            (std::vector<std::string>{"a/b/c.txt", "a/b/d.txt", "a/bc.txt", "a/e/f/g.txt",
                                      "a/z.txt", "top.txt", "x y/ü.txt"}));
  auto first = store_->List(o);  // may come short (S3 servers count folder markers)
  ASSERT_TRUE(first.ok());
  EXPECT_LE(first->blobs.size(), 2u);
  EXPECT_FALSE(first->next_page_token.empty());
  o.max_keys = 1000;
  auto all = store_->List(o);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->blobs.size(), 7u);
  EXPECT_EQ(all->blobs[0].size, 9);  // "a/b/c.txt"
  EXPECT_TRUE(all->next_page_token.empty());
  o.prefix = "nothing/";
  EXPECT_TRUE(AllKeys(o).empty());
  o.max_keys = 0;
  EXPECT_EQ(store_->List(o).status().code(), ErrorCode::kInvalidParameterValue);
}

TEST_P(BlobStoreTest, DeletesBlobsAndPrefixes) {
  for (const char* k : {"d/1", "d/2", "d/sub/3", "dd/4", "keep"}) ASSERT_TRUE(PutString(k, k).ok());
  EXPECT_TRUE(store_->Delete("d/1").ok());
  EXPECT_EQ(store_->Delete("d/1").code(), ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(store_->Delete("d").code(), ErrorCode::kResourceDoesNotExist);
  auto n = store_->DeletePrefix("d/");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(*store_->DeletePrefix("d/"), 0);
  EXPECT_EQ(store_->DeletePrefix("d").status().code(), ErrorCode::kInvalidParameterValue);
  ListOptions o;
  EXPECT_EQ(AllKeys(o), (std::vector<std::string>{"dd/4", "keep"}));
  o.delimited = true;
  EXPECT_EQ(AllKeys(o), (std::vector<std::string>{"keep", "dd/"}));
}

TEST_P(BlobStoreTest, PutFileAboveTheMultipartThresholdStreams) {
  std::string data = Pattern(11 * kMiB + 123, 'A');
  fs::path staged = tmp_ / "staged.bin";
  std::ofstream(staged, std::ios::binary)
      .write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(store_->PutFile("big/file.bin", staged.string()).ok());
  EXPECT_FALSE(fs::exists(staged));  // consumed
  EXPECT_EQ(store_->Stat("big/file.bin")->size, static_cast<std::int64_t>(data.size()));
  EXPECT_EQ(Sha256Hex(GetString("big/file.bin")), Sha256Hex(data));
  EXPECT_EQ(GetString("big/file.bin", {6 * kMiB, 10}), data.substr(6 * kMiB, 10));
  // A body of unknown length (bigger than a part) is stored the same.
  UnsizedReader unsized(data);
  ASSERT_TRUE(store_->Put("big/unsized.bin", unsized).ok());
  EXPECT_EQ(Sha256Hex(GetString("big/unsized.bin")), Sha256Hex(data));
  UnsizedReader small("tiny");
  ASSERT_TRUE(store_->Put("big/small.bin", small).ok());
  EXPECT_EQ(GetString("big/small.bin"), "tiny");
}

TEST_P(BlobStoreTest, LargeWholeReadsComeBackWholeAndInOrder) {
  // Over the S3 backend's parallel ranged-read threshold (32 MiB), not a whole number of parts.
  std::string data = Pattern(41 * kMiB + 7, 'L');
  ASSERT_TRUE(PutString("large/blob.bin", data).ok());
  auto r = store_->Get("large/blob.bin");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->Size(), static_cast<std::int64_t>(data.size()));
  std::string got, buf(3 * kMiB + 1, '\0');
  for (;;) {
    auto n = (*r)->Read(buf.data(), buf.size());
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0) break;
    got.append(buf.data(), *n);
  }
  EXPECT_EQ(got.size(), data.size());
  EXPECT_EQ(Sha256Hex(got), Sha256Hex(data));
  // Dropped half way: nothing hangs and the store serves the next read.
  auto half = store_->Get("large/blob.bin");
  ASSERT_TRUE(half.ok());
  ASSERT_TRUE((*half)->Read(buf.data(), buf.size()).ok());
  half->reset();
  EXPECT_EQ(GetString("large/blob.bin", {40 * kMiB, 10}), data.substr(40 * kMiB, 10));
}

TEST_P(BlobStoreTest, MultipartUploadIsAtomicAndAbortable) {
  std::string p1 = Pattern(5 * kMiB, '0'), p2 = "the last part";
  auto id = store_->CreateMultipart("mp/obj");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto r2 = StringReader(p2);
  auto e2 = store_->UploadPart("mp/obj", *id, 2, *r2);  // any order
  ASSERT_TRUE(e2.ok()) << e2.status().ToString();
  auto r1 = StringReader(p1);
  auto e1 = store_->UploadPart("mp/obj", *id, 1, *r1);
  ASSERT_TRUE(e1.ok()) << e1.status().ToString();
  EXPECT_EQ(store_->Stat("mp/obj").status().code(), ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(store_->CompleteMultipart("mp/obj", *id, {{2, *e2}, {1, *e1}}).code(),
            ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(store_->CompleteMultipart("mp/obj", *id, {}).code(), ErrorCode::kInvalidParameterValue);
  auto bad = StringReader("x");
  EXPECT_EQ(store_->UploadPart("mp/obj", *id, 0, *bad).status().code(),
            ErrorCode::kInvalidParameterValue);
  ASSERT_TRUE(store_->CompleteMultipart("mp/obj", *id, {{1, *e1}, {2, *e2}}).ok());
  EXPECT_EQ(Sha256Hex(GetString("mp/obj")), Sha256Hex(p1 + p2));

  auto id2 = store_->CreateMultipart("mp/aborted");
  ASSERT_TRUE(id2.ok());
  auto r3 = StringReader("abc");
  auto e3 = store_->UploadPart("mp/aborted", *id2, 1, *r3);
  ASSERT_TRUE(e3.ok()) << e3.status().ToString();
  ASSERT_TRUE(store_->AbortMultipart("mp/aborted", *id2).ok());
  EXPECT_EQ(store_->CompleteMultipart("mp/aborted", *id2, {{1, *e3}}).code(),
            ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(store_->Stat("mp/aborted").status().code(), ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(
      store_->CompleteMultipart("mp/other", "0123456789abcdef0123456789abcdef", {{1, *e3}}).code(),
      ErrorCode::kResourceDoesNotExist);
}

// The MLflow folder view the artifact proxy serves, on every backend.
TEST_P(BlobStoreTest, ArtifactStoreFolderView) {
  auto art = NewArtifactStore(std::move(store_), (tmp_ / "staging").string());
  ASSERT_TRUE(art.ok()) << art.status().ToString();
  auto& a = **art;
  ASSERT_TRUE(a.PutBytes("1/run/artifacts/model/MLmodel", "flavors: {}").ok());
  ASSERT_TRUE(a.PutBytes("1/run/artifacts/model/data/w.bin", "0123456789").ok());
  ASSERT_TRUE(a.PutBytes("1/run/artifacts/log.txt", "log").ok());
  auto list = a.List("1/run/artifacts");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].path, "log.txt");
  EXPECT_FALSE((*list)[0].is_dir);
  EXPECT_EQ((*list)[0].file_size.value_or(0), 3);
  EXPECT_EQ((*list)[1].path, "model");
  EXPECT_TRUE((*list)[1].is_dir);
  EXPECT_TRUE(a.List("1/run/missing")->empty());
  auto f = a.Open("1/run/artifacts/model/data/w.bin");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->size, 10);
  EXPECT_EQ(*ReadAll(*f->reader, 100), "0123456789");
  EXPECT_EQ(a.Open("1/run/artifacts/model").status().code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(a.Open("1/run/nope").status().code(), ErrorCode::kResourceDoesNotExist);
  fs::path staged = fs::path(a.StagingDir()) / "up";
  std::ofstream(staged) << "uploaded";
  ASSERT_TRUE(a.Commit(staged.string(), "1/run/artifacts/up.txt").ok());
  EXPECT_EQ(*ReadAll(*a.Open("1/run/artifacts/up.txt")->reader, 100), "uploaded");
  EXPECT_TRUE(a.Delete("1/run/artifacts/model").ok());
  EXPECT_EQ(a.Delete("1/run/artifacts/model").code(), ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(a.List("1/run/artifacts")->size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Backends, BlobStoreTest, ::testing::Values("local", "s3"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace mlws::artifacts
