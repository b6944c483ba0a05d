// MetadataStore::Atomically (include/mlws/store/transaction.h) on every metadata backend: a
// read-modify-write done by many threads, and by two stores on one database (two servers), keeps
// every update; a failing one changes nothing. And TrackingService::LogModel, which uses it.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mlws/common/ids.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/tracking_service.h"
#include "store_backends.h"

namespace mlws::store {
namespace {

// Keeps a thread's first failure.
void Keep(Status& first, Status st) {
  if (first.ok() && !st.ok()) first = std::move(st);
}

class TransactionTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    testing::FreshBackend(GetParam(), "tx", &dir_, &uri_);
    if (uri_.empty()) return;
    store_ = Open();
    ASSERT_NE(store_, nullptr);
    auto w = store_->workspaces().CreateWorkspace("w", "");
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ws_ = w->id;
    NewRun nr = testing::TestNewRun(ws_);
    auto r = store_->runs().CreateRun(nr);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    run_ = nr.run_id;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<MetadataStore> Open() {
    auto s = OpenMetadataStore(uri_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    auto v = (*s)->Migrate();
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return std::move(*s);
  }
  // Adds 1 to the run's "n" tag, read and written in one transaction.
  static Status Increment(MetadataStore& store, std::int64_t ws, const std::string& run) {
    return store.Atomically([&](Tx& tx) -> Status {
      ASSIGN_OR_RETURN(tracking::Run r, tx.LockRun(ws, run));
      int n = 0;
      for (const auto& t : r.tags) {
        if (t.key == "n") n = std::stoi(t.value);
      }
      return tx.SetRunTags(ws, run, {{"n", std::to_string(n + 1)}});
    });
  }
  std::string Tag(const std::string& key) {
    auto r = store_->runs().GetRun(ws_, run_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return "";
    for (const auto& t : r->tags) {
      if (t.key == key) return t.value;
    }
    return "";
  }

  std::filesystem::path dir_;
  std::string uri_;
  std::unique_ptr<MetadataStore> store_;
  std::int64_t ws_ = 0;
  std::string run_;
};

INSTANTIATE_TEST_SUITE_P(Backends, TransactionTest, ::testing::Values("sqlite", "postgres"),
                         testing::BackendName);

constexpr int kThreads = 6;
constexpr int kEach = 8;

// Each thread reads the counter and writes it plus one: without one transaction around both,
// two threads read the same value and one increment is lost.
TEST_P(TransactionTest, ConcurrentReadModifyWritesOnOneRunLoseNothing) {
  std::vector<std::thread> threads;
  std::vector<Status> failures(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Keep(failures[t], Increment(*store_, ws_, run_));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& st : failures) EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Tag("n"), std::to_string(kThreads * kEach));
}

// Two stores on one database are two servers: their writers are separate connections, so only
// the database's locks (BEGIN IMMEDIATE on SQLite, SELECT ... FOR UPDATE on PostgreSQL) keep
// their read-modify-writes apart.
TEST_P(TransactionTest, TwoServersOnOneDatabaseLoseNothing) {
  std::unique_ptr<MetadataStore> other = Open();
  ASSERT_NE(other, nullptr);
  std::vector<std::thread> threads;
  std::vector<Status> failures(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    MetadataStore& s = t % 2 == 0 ? *store_ : *other;
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Keep(failures[t], Increment(s, ws_, run_));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& st : failures) EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Tag("n"), std::to_string(kThreads * kEach));
}

TEST_P(TransactionTest, AFailingTransactionWritesNothing) {
  Status st = store_->Atomically([&](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.SetRunTags(ws_, run_, {{"half", "written"}}));
    return InvalidArgument("changed my mind");
  });
  EXPECT_EQ(st.code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(Tag("half"), "");
  EXPECT_EQ(store_->Atomically([&](Tx& tx) { return tx.LockRun(ws_, "nope").status(); }).code(),
            ErrorCode::kResourceDoesNotExist);
}

TEST_P(TransactionTest, ConcurrentAssetTagMergesLoseNothing) {
  assets::Asset a;
  a.kind = assets::AssetKind::kData;
  a.name = "d";
  a.version = "1";
  a.type = "uri_file";
  a.path = "azureml://datastores/workspaceblobstore/paths/x";
  auto made = store_->assets().CreateAsset(ws_, a);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  std::vector<std::thread> threads;
  std::vector<Status> failures(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Keep(failures[t], store_->Atomically([&](Tx& tx) -> Status {
          ASSIGN_OR_RETURN(assets::Asset cur, tx.LockAsset(ws_, a.kind, "d", "1"));
          cur.tags["t" + std::to_string(t) + "_" + std::to_string(i)] = "x";
          return tx.UpdateAsset(ws_, cur).status();
        }));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& st : failures) EXPECT_TRUE(st.ok()) << st.ToString();
  auto got = store_->assets().GetAsset(ws_, a.kind, "d", "1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->tags.size(), static_cast<std::size_t>(kThreads * kEach));
}

// MLflow's log-model appends to the run's mlflow.log-model.history tag: concurrent calls (a
// training script logging several models from threads) must each keep their entry.
TEST_P(TransactionTest, ConcurrentLogModelKeepsEveryModel) {
  tracking::TrackingService svc(*store_);
  std::vector<std::thread> threads;
  std::vector<Status> failures(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        nlohmann::json m = {{"artifact_path", "m" + std::to_string(t) + "_" + std::to_string(i)},
                            {"flavors", nlohmann::json::object()},
                            {"utc_time_created", "2026-01-01 00:00:00.000000"},
                            {"run_id", run_}};
        Keep(failures[t], svc.LogModel("w", run_, m.dump()));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& st : failures) EXPECT_TRUE(st.ok()) << st.ToString();
  auto history = nlohmann::json::parse(Tag("mlflow.log-model.history"), nullptr, false);
  ASSERT_TRUE(history.is_array());
  std::set<std::string> paths;
  for (const auto& m : history) paths.insert(m.value("artifact_path", ""));
  EXPECT_EQ(paths.size(), static_cast<std::size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace mlws::store
