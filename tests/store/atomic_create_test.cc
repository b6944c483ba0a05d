// Read-modify-writes that create rows, done at once through two stores on one database (two
// servers): model registry version numbers, asset versions and their "latest" order, the
// workspace's one default datastore, and documents created unless present (batch endpoints and
// deployments, quotas) through Atomically. Runs on SQLite and on PostgreSQL (store_backends.h);
// on PostgreSQL each of these raced before (duplicate numbers, two defaults, two winners).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mlws/common/ids.h"
#include "mlws/store/metadata_store.h"
#include "store_backends.h"

namespace mlws::store {
namespace {

constexpr int kThreadsPerStore = 3;
constexpr int kEach = 5;
constexpr int kTotal = 2 * kThreadsPerStore * kEach;

class AtomicCreateTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string uri;
    testing::FreshBackend(GetParam(), "atomic", &dir_, &uri);
    if (uri.empty()) return;
    for (auto* s : {&a_, &b_}) {
      auto opened = OpenMetadataStore(uri);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      *s = std::move(*opened);
      auto v = (*s)->Migrate();
      ASSERT_TRUE(v.ok()) << v.status().ToString();
    }
    auto w = a_->workspaces().CreateWorkspace("w", "");
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ws_ = w->id;
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Runs `op(store, i)` kEach times on each of kThreadsPerStore threads per store, all at once;
  // returns the first failure.
  template <typename Op>
  Status Race(Op op) {
    std::vector<std::thread> threads;
    std::vector<Status> first(2 * kThreadsPerStore);
    std::atomic<int> ready{0};
    for (int t = 0; t < 2 * kThreadsPerStore; ++t) {
      MetadataStore& store = t % 2 == 0 ? *a_ : *b_;
      threads.emplace_back([&, t] {
        ready.fetch_add(1);
        while (ready.load() < 2 * kThreadsPerStore) std::this_thread::yield();
        for (int i = 0; i < kEach; ++i) {
          Status st = op(store, t * kEach + i);
          if (first[t].ok() && !st.ok()) first[t] = st;
        }
      });
    }
    for (auto& th : threads) th.join();
    for (auto& st : first) {
      if (!st.ok()) return st;
    }
    return Status::Ok();
  }
  static assets::Asset NewAsset(assets::AssetKind kind, const std::string& version) {
    assets::Asset a;
    a.kind = kind;
    a.name = "m";
    a.version = version;
    a.type = kind == assets::AssetKind::kModel ? "custom_model" : "uri_folder";
    a.path = "https://example.com/m";
    a.spec_json = "{}";
    return a;
  }

  std::filesystem::path dir_;
  std::unique_ptr<MetadataStore> a_, b_;
  std::int64_t ws_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Backends, AtomicCreateTest, ::testing::Values("sqlite", "postgres"),
                         testing::BackendName);

TEST_P(AtomicCreateTest, RegistryVersionsFromTwoServersAreDistinct) {
  ASSERT_TRUE(a_->registry().CreateRegisteredModel(ws_, "m", "", {}).ok());
  std::mutex mu;
  std::set<std::int64_t> versions;
  Status st = Race([&](MetadataStore& s, int) -> Status {
    assets::ModelVersion v;
    v.name = "m";
    v.source = "https://example.com/m";
    ASSIGN_OR_RETURN(assets::ModelVersion made, s.registry().CreateModelVersion(ws_, v));
    std::lock_guard<std::mutex> lock(mu);
    versions.insert(made.version);
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(versions.size(), static_cast<size_t>(kTotal));
  EXPECT_EQ(*versions.begin(), 1);
  EXPECT_EQ(*versions.rbegin(), kTotal);
}

TEST_P(AtomicCreateTest, AssetVersionsFromTwoServersAreDistinctAndInOrder) {
  std::mutex mu;
  std::set<std::string> versions;
  Status st = Race([&](MetadataStore& s, int) -> Status {
    ASSIGN_OR_RETURN(assets::Asset made,
                     s.assets().CreateAsset(ws_, NewAsset(assets::AssetKind::kData, "")));
    std::lock_guard<std::mutex> lock(mu);
    versions.insert(made.version);
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(versions.size(), static_cast<size_t>(kTotal));
  auto all = a_->assets().ListAssets(AssetQuery{ws_, assets::AssetKind::kData, "m", true, true});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::set<std::int64_t> seqs;
  for (const auto& a : *all) {
    seqs.insert(a.seq);
    EXPECT_EQ(std::to_string(a.seq), a.version) << "seq (latest's order) follows the versions";
  }
  EXPECT_EQ(seqs.size(), static_cast<size_t>(kTotal));
}

// What AssetService::Create does for a model: the registry number and the asset row in one
// transaction, so "latest" (the highest seq) is the highest version.
TEST_P(AtomicCreateTest, ModelVersionAndAssetInOneTransactionKeepLatestInVersionOrder) {
  ASSERT_TRUE(a_->registry().CreateRegisteredModel(ws_, "m", "", {}).ok());
  Status st = Race([&](MetadataStore& s, int) -> Status {
    return s.Atomically([&](Tx& tx) -> Status {
      assets::ModelVersion v;
      v.name = "m";
      v.source = "https://example.com/m";
      ASSIGN_OR_RETURN(assets::ModelVersion made, tx.CreateModelVersion(ws_, v));
      ASSIGN_OR_RETURN(
          assets::Asset a,
          tx.CreateAsset(ws_, NewAsset(assets::AssetKind::kModel, std::to_string(made.version))));
      (void)a;
      return Status::Ok();
    });
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto latest = b_->assets().GetLatestAsset(ws_, assets::AssetKind::kModel, "m");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->version, std::to_string(kTotal));
  auto all = a_->assets().ListAssets(AssetQuery{ws_, assets::AssetKind::kModel, "m", true, true});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), static_cast<size_t>(kTotal));
  for (const auto& a : *all) EXPECT_EQ(std::to_string(a.seq), a.version);
}

// A failing step rolls the registry number back with the asset row: nothing is left behind.
TEST_P(AtomicCreateTest, AFailedModelCreateLeavesNoRegistryVersion) {
  ASSERT_TRUE(a_->registry().CreateRegisteredModel(ws_, "m", "", {}).ok());
  Status st = a_->Atomically([&](Tx& tx) -> Status {
    assets::ModelVersion v;
    v.name = "m";
    v.source = "https://example.com/m";
    ASSIGN_OR_RETURN(assets::ModelVersion made, tx.CreateModelVersion(ws_, v));
    (void)made;
    return AlreadyExists("refused after numbering");
  });
  EXPECT_EQ(st.code(), ErrorCode::kResourceAlreadyExists);
  EXPECT_FALSE(b_->registry().GetModelVersion(ws_, "m", 1).ok());
  assets::ModelVersion v;
  v.name = "m";
  v.source = "https://example.com/m";
  auto made = b_->registry().CreateModelVersion(ws_, v);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->version, 1) << "the rolled-back number is handed out again";
}

TEST_P(AtomicCreateTest, ConcurrentDefaultDatastoresLeaveExactlyOneDefault) {
  Status st = Race([&](MetadataStore& s, int i) -> Status {
    assets::Datastore d;
    d.name = "ds" + std::to_string(i);
    d.type = "local";
    d.is_default = true;
    d.spec_json = "{}";
    return s.assets().CreateDatastore(ws_, d).status();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto all = b_->assets().ListDatastores(ws_);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), static_cast<size_t>(kTotal));
  int defaults = 0;
  for (const auto& d : *all) defaults += d.is_default ? 1 : 0;
  EXPECT_EQ(defaults, 1);
}

TEST_P(AtomicCreateTest, ADocumentCreatedUnlessPresentHasOneWinner) {
  std::atomic<int> won{0}, lost{0};
  Status st = Race([&](MetadataStore& s, int i) -> Status {
    Status r = s.Atomically([&](Tx& tx) -> Status {
      ASSIGN_OR_RETURN(auto old, tx.LockDocument(Documents::kBatchEndpoints, ws_, "ep"));
      if (old) return AlreadyExists("taken");
      return tx.PutDocument(Documents::kBatchEndpoints, ws_,
                            DocumentRecord{"ep", i, std::to_string(i)});
    });
    if (r.ok()) {
      won.fetch_add(1);
    } else if (r.code() == ErrorCode::kResourceAlreadyExists) {
      lost.fetch_add(1);
    } else {
      return r;
    }
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(lost.load(), kTotal - 1);
  auto list = a_->batch_endpoints().List(ws_);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
}

TEST_P(AtomicCreateTest, ADocumentReadAndWrittenByTwoServersKeepsEveryUpdate) {
  Status st = Race([&](MetadataStore& s, int) -> Status {
    return s.Atomically([&](Tx& tx) -> Status {
      ASSIGN_OR_RETURN(auto old, tx.LockDocument(Documents::kQuotas, ws_, "n"));
      int n = old ? std::stoi(old->doc) : 0;
      return tx.PutDocument(Documents::kQuotas, ws_, DocumentRecord{"n", 1, std::to_string(n + 1)});
    });
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto d = b_->quotas().Get(ws_, "n");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->doc, std::to_string(kTotal));
  // Deleting inside a transaction, and NotFound for what is not there.
  EXPECT_TRUE(
      a_->Atomically([&](Tx& tx) { return tx.DeleteDocument(Documents::kQuotas, ws_, "n"); }).ok());
  EXPECT_EQ(a_->Atomically([&](Tx& tx) {
                return tx.DeleteDocument(Documents::kQuotas, ws_, "n");
              }).code(),
            ErrorCode::kResourceDoesNotExist);
}

}  // namespace
}  // namespace mlws::store
