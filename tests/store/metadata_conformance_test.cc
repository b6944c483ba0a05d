// The metadata conformance suite: one set of tests run against every MetadataStore backend
// (a real SQLite file in a temporary folder; a fresh database in a throwaway PostgreSQL 15
// cluster, see store_backends.h). The PostgreSQL half skips only when its binaries are absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "mlws/common/ids.h"
#include "mlws/store/metadata_store.h"
#include "store_backends.h"

namespace mlws::store {
namespace {

using tracking::KeyValue;
using tracking::Metric;

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mlws-store-" + NewRunId());
    std::filesystem::create_directories(dir_);
    if (GetParam() == "postgres" && !testing::PgCluster::Get().base_uri()) {
      GTEST_SKIP() << "PostgreSQL half skipped: " << testing::PgCluster::Get().why_not();
    }
    uri_ = testing::FreshStoreUri(GetParam(), dir_);
    ASSERT_FALSE(uri_.empty());
    Open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    auto s = OpenMetadataStore(uri_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    auto v = store_->Migrate();
    ASSERT_TRUE(v.ok()) << v.status().ToString();
  }
  std::int64_t Workspace(const std::string& name) {
    auto w = store_->workspaces().CreateWorkspace(name, "");
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w->id;
  }
  std::string NewRunIn(std::int64_t ws, const std::string& exp = "0") {
    NewRun nr = testing::TestNewRun(ws, exp);
    auto r = store_->runs().CreateRun(nr);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return nr.run_id;
  }

  std::filesystem::path dir_;
  std::string uri_;
  std::unique_ptr<MetadataStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::Values("sqlite", "postgres"),
                         testing::BackendName);

// Workspace ids are never reused (migration 9), even across a reopen: caches keyed by workspace
// id must never see a deleted workspace's id again.
TEST_P(StoreConformance, DeletedWorkspaceIdsAreNeverHandedOutAgain) {
  auto a = store_->workspaces().CreateWorkspace("a", "");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(store_->workspaces().DeleteWorkspace("a").ok());
  auto b = store_->workspaces().CreateWorkspace("b", "");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_GT(b->id, a->id);  // SQLite's rowid alone would give a->id again
  ASSERT_TRUE(store_->workspaces().DeleteWorkspace("b").ok());
  store_.reset();
  Open();
  auto c = store_->workspaces().CreateWorkspace("c", "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_GT(c->id, b->id);
}

TEST_P(StoreConformance, MigrateIsIdempotentAndDataSurvivesReopen) {
  std::int64_t ws = Workspace("w");
  std::string run = NewRunIn(ws);
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, {{"loss", 0.5, 10, 1}}, {{"lr", "0.1"}}, {}).ok());
  store_.reset();
  Open();  // migrations run again: a no-op
  auto got = store_->runs().GetRun(ws, run);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->params.size(), 1u);
  EXPECT_EQ(got->params[0].value, "0.1");
  ASSERT_EQ(got->metrics.size(), 1u);
  EXPECT_DOUBLE_EQ(got->metrics[0].value, 0.5);
}

TEST_P(StoreConformance, WorkspaceGetsDefaultExperimentAndDuplicatesFail) {
  std::int64_t ws = Workspace("w");
  auto e = store_->experiments().GetExperiment(ws, "0");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->name, "Default");
  auto dup = store_->workspaces().CreateWorkspace("w", "");
  EXPECT_EQ(dup.status().code(), ErrorCode::kResourceAlreadyExists);
}

TEST_P(StoreConformance, ExperimentIdsAreUniqueAcrossWorkspaces) {
  std::int64_t a = Workspace("a"), b = Workspace("b");
  auto ea = store_->experiments().CreateExperiment(a, "x", "mlflow-artifacts:/{id}", {});
  auto eb = store_->experiments().CreateExperiment(b, "x", "mlflow-artifacts:/{id}", {});
  ASSERT_TRUE(ea.ok() && eb.ok());
  EXPECT_NE(ea->experiment_id, eb->experiment_id);
  EXPECT_EQ(ea->artifact_location, "mlflow-artifacts:/" + ea->experiment_id);
  EXPECT_EQ(store_->experiments().GetExperiment(b, ea->experiment_id).status().code(),
            ErrorCode::kResourceDoesNotExist);
}

TEST_P(StoreConformance, RunsAreInvisibleFromOtherWorkspaces) {
  std::int64_t a = Workspace("a"), b = Workspace("b");
  std::string run = NewRunIn(a);
  EXPECT_TRUE(store_->runs().GetRun(a, run).ok());
  EXPECT_EQ(store_->runs().GetRun(b, run).status().code(), ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(store_->runs().LogBatch(b, run, {{"m", 1, 1, 0}}, {}, {}).code(),
            ErrorCode::kResourceDoesNotExist);
}

// CreateRun checks its experiment and stores the run with its tags in one write (on PostgreSQL
// one statement): a missing or deleted experiment gets MLflow's errors and no run; a repeated
// tag keeps its last value; the mlflow.runName tag names the run; the artifact folder is the
// experiment's location (a trailing '/' dropped), the run id and "artifacts".
TEST_P(StoreConformance, CreateRunChecksItsExperimentAndKeepsItsTags) {
  std::int64_t ws = Workspace("w");
  auto exp = store_->experiments().CreateExperiment(ws, "e", "s3://b/{id}/", {});
  ASSERT_TRUE(exp.ok()) << exp.status().ToString();
  NewRun nr = testing::TestNewRun(ws, exp->experiment_id);
  nr.artifact_uri.clear();
  nr.tags = {{"a", "1"}, {"mlflow.runName", "named"}, {"a", "2"}};
  auto run = store_->runs().CreateRun(nr);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->info.artifact_uri,
            "s3://b/" + exp->experiment_id + "/" + nr.run_id + "/artifacts");
  auto got = store_->runs().GetRun(ws, nr.run_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->info.artifact_uri, run->info.artifact_uri);
  EXPECT_EQ(got->info.run_name, "named");
  std::map<std::string, std::string> tags;
  for (const auto& t : got->tags) tags[t.key] = t.value;
  EXPECT_EQ(tags["a"], "2");
  EXPECT_EQ(tags.size(), 2u);

  NewRun missing = testing::TestNewRun(ws, "987654");
  EXPECT_EQ(store_->runs().CreateRun(missing).status().code(), ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(store_->runs().GetRun(ws, missing.run_id).status().code(),
            ErrorCode::kResourceDoesNotExist);
  ASSERT_TRUE(
      store_->experiments()
          .SetExperimentLifecycle(ws, exp->experiment_id, tracking::LifecycleStage::kDeleted)
          .ok());
  NewRun in_deleted = testing::TestNewRun(ws, exp->experiment_id);
  in_deleted.tags = {{"t", "v"}};
  EXPECT_EQ(store_->runs().CreateRun(in_deleted).status().code(),
            ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(store_->runs().GetRun(ws, in_deleted.run_id).status().code(),
            ErrorCode::kResourceDoesNotExist);
}

TEST_P(StoreConformance, ParamsAreImmutableAndFailedBatchChangesNothing) {
  std::int64_t ws = Workspace("w");
  std::string run = NewRunIn(ws);
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, {}, {{"lr", "0.1"}}, {}).ok());
  EXPECT_TRUE(store_->runs().LogBatch(ws, run, {}, {{"lr", "0.1"}}, {}).ok());  // same value ok
  Status st =
      store_->runs().LogBatch(ws, run, {{"loss", 1.0, 5, 0}}, {{"lr", "0.2"}}, {{"t", "v"}});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidParameterValue);
  auto got = store_->runs().GetRun(ws, run);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->metrics.empty()) << "the failed batch must not leave its metrics behind";
  for (const auto& t : got->tags) EXPECT_NE(t.key, "t");
}

// Params and tags are written many to a statement on PostgreSQL (64 each): a batch larger than
// that, logged again unchanged, then with one value changed, which is refused naming both values
// and leaves nothing of its batch behind. Of a tag given twice the last value is kept.
TEST_P(StoreConformance, ManyParamsAndTagsAreCheckedAndKeptAcrossStatements) {
  std::int64_t ws = Workspace("w");
  std::string run = NewRunIn(ws);
  std::vector<KeyValue> params, tags;
  for (int i = 0; i < 100; ++i) params.push_back({"p" + std::to_string(i), std::to_string(i)});
  for (int i = 0; i < 70; ++i) tags.push_back({"t" + std::to_string(i % 66), std::to_string(i)});
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, {}, params, tags).ok());
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, {}, params, {}).ok());  // the same values again
  std::vector<KeyValue> changed = {{"new", "x"}, {"p70", "seventy"}};
  Status st = store_->runs().LogBatch(ws, run, {}, changed, {});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidParameterValue);
  EXPECT_NE(st.message().find("key='p70' was already logged with value='70'"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("new value 'seventy'"), std::string::npos) << st.message();
  auto got = store_->runs().GetRun(ws, run);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->params.size(), 100u);
  std::map<std::string, std::string> p, t;
  for (const auto& kv : got->params) p[kv.key] = kv.value;
  for (const auto& kv : got->tags) t[kv.key] = kv.value;
  EXPECT_EQ(p["p99"], "99");
  EXPECT_EQ(p.count("new"), 0u);
  EXPECT_EQ(t["t0"], "66");  // t0 was given twice: 0, then 66
  EXPECT_EQ(t["t65"], "65");
}

// A batch with params, tags and at most one chunk row (one key, or keys of few points sharing a
// multi-key chunk) is one statement on PostgreSQL, its rows sent as arrays: values that need
// quoting in an array, NaN and infinite latest points, a stored later point kept, a key given
// twice with two values refused, the multi-key chunks folded after many batches, and a batch
// that renames the run.
TEST_P(StoreConformance, WholeBatchesKeepQuotedValuesLatestPointsAndFoldedChunks) {
  std::int64_t ws = Workspace("w");
  std::string run = NewRunIn(ws);
  double inf = std::numeric_limits<double>::infinity();
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, {{"kept", 9, 50, 7}}, {}, {}).ok());
  const std::vector<KeyValue> odd = {{"q\"uote", "a\"b"},
                                     {"back\\slash", "c\\d\\"},
                                     {"{brace,comma}", "{1,2}"},
                                     {"NULL", "NULL"},
                                     {"empty", ""},
                                     {"sp ace", " x "},
                                     {"ünï", "ç😀"}};
  for (int b = 0; b < 20; ++b) {  // kCompactMultiKeyChunks is 16: the chunks get folded
    std::vector<Metric> m = {{"acc", 0.5 + b, 100 + b, b}, {"kept", 1, 10, 0}};
    if (b == 3) m.push_back({"nan", std::nan(""), 1, 0});
    if (b == 4) m.push_back({"inf", -inf, 1, 0});
    ASSERT_TRUE(store_->runs().LogBatch(ws, run, m, odd, odd).ok()) << b;
  }
  auto got = store_->runs().GetRun(ws, run);
  ASSERT_TRUE(got.ok());
  std::map<std::string, std::string> p, t;
  for (const auto& kv : got->params) p[kv.key] = kv.value;
  for (const auto& kv : got->tags) t[kv.key] = kv.value;
  for (const auto& kv : odd) {
    EXPECT_EQ(p[kv.key], kv.value) << kv.key;
    EXPECT_EQ(t[kv.key], kv.value) << kv.key;
  }
  std::map<std::string, Metric> latest;
  for (const auto& m : got->metrics) latest[m.key] = m;
  ASSERT_EQ(latest.size(), 4u);
  EXPECT_EQ(latest["acc"].value, 19.5);
  EXPECT_EQ(latest["acc"].step, 19);
  EXPECT_EQ(latest["kept"].value, 9) << "an earlier step must not replace the stored latest";
  EXPECT_TRUE(std::isnan(latest["nan"].value));
  EXPECT_EQ(latest["inf"].value, -inf);
  auto acc = store_->runs().GetMetricHistory({ws, run, "acc"});
  ASSERT_TRUE(acc.ok());
  ASSERT_EQ(acc->size(), 20u);
  for (int b = 0; b < 20; ++b) EXPECT_EQ((*acc)[b].value, 0.5 + b);
  auto kept = store_->runs().GetMetricHistory({ws, run, "kept"});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->size(), 2u);  // the repeated identical point is stored once

  // One key given twice with two values: refused, and the batch leaves nothing behind.
  Status st = store_->runs().LogBatch(ws, run, {{"acc", 99, 999, 99}, {"z", 1, 1, 1}},
                                      {{"dup", "1"}, {"dup", "2"}}, {{"late", "x"}});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidParameterValue) << st.ToString();
  got = store_->runs().GetRun(ws, run);
  ASSERT_TRUE(got.ok());
  for (const auto& kv : got->params) EXPECT_NE(kv.key, "dup");
  for (const auto& kv : got->tags) EXPECT_NE(kv.key, "late");
  for (const auto& m : got->metrics) EXPECT_NE(m.key, "z");

  // A batch whose tags name the run renames it.
  ASSERT_TRUE(store_->runs()
                  .LogBatch(ws, run, {{"acc", 1, 1, 1}}, {}, {{"mlflow.runName", "renamed"}})
                  .ok());
  got = store_->runs().GetRun(ws, run);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->info.run_name, "renamed");

  // A missing run: NotFound, as in MLflow.
  EXPECT_EQ(store_->runs().LogBatch(ws, "f00", {{"a", 1, 1, 1}}, {{"p", "1"}}, {}).code(),
            ErrorCode::kResourceDoesNotExist);
}

TEST_P(StoreConformance, LatestMetricFollowsStepThenTimestamp) {
  std::int64_t ws = Workspace("w");
  std::string run = NewRunIn(ws);
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, {{"m", 5, 100, 3}, {"m", 7, 50, 2}}, {}, {}).ok());
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, {{"m", 9, 10, 1}}, {}, {}).ok());  // older step
  auto got = store_->runs().GetRun(ws, run);
  ASSERT_EQ(got->metrics.size(), 1u);
  EXPECT_DOUBLE_EQ(got->metrics[0].value, 5);
  EXPECT_EQ(got->metrics[0].step, 3);
}

// Many keys in one batch (written with multi-row statements of 64, 32, ..., 1 rows): every
// key's history and latest value, including keys whose stored latest point is later.
TEST_P(StoreConformance, ManyKeyBatchKeepsEveryKeysHistoryAndLatest) {
  std::int64_t ws = Workspace("w");
  std::string run = NewRunIn(ws);
  constexpr int kKeys = 1000 - 1;  // every statement size is used
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, {{"k7", 70, 5, 9}, {"k8", 80, 5, 9}}, {}, {}).ok());
  std::vector<tracking::Metric> batch;
  for (int k = 0; k < kKeys; ++k) {
    double v = k == 3 ? std::nan("") : k + 0.5;
    batch.push_back({"k" + std::to_string(k), v, 10, 1});
  }
  batch.push_back({"k8", 81, 6, 9});  // same step, later timestamp: replaces the latest
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, batch, {}, {}).ok());
  auto got = store_->runs().GetRun(ws, run);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->metrics.size(), static_cast<std::size_t>(kKeys));
  std::map<std::string, tracking::Metric> latest;
  for (const auto& m : got->metrics) latest[m.key] = m;
  EXPECT_DOUBLE_EQ(latest["k0"].value, 0.5);
  EXPECT_TRUE(std::isnan(latest["k3"].value));
  EXPECT_DOUBLE_EQ(latest["k998"].value, 998.5);
  EXPECT_DOUBLE_EQ(latest["k7"].value, 70);  // the older step did not replace it
  EXPECT_EQ(latest["k7"].step, 9);
  EXPECT_DOUBLE_EQ(latest["k8"].value, 81);
  auto h7 = store_->runs().GetMetricHistory({ws, run, "k7"});
  ASSERT_TRUE(h7.ok());
  EXPECT_EQ(h7->size(), 2u);
  auto h8 = store_->runs().GetMetricHistory({ws, run, "k8"});
  ASSERT_TRUE(h8.ok());
  EXPECT_EQ(h8->size(), 3u);
  auto h998 = store_->runs().GetMetricHistory({ws, run, "k998"});
  ASSERT_TRUE(h998.ok());
  ASSERT_EQ(h998->size(), 1u);
  EXPECT_DOUBLE_EQ((*h998)[0].value, 998.5);
}

TEST_P(StoreConformance, HistoryKeepsNaNAndInfinityAndIsOrderedByTimestamp) {
  std::int64_t ws = Workspace("w");
  std::string run = NewRunIn(ws);
  double inf = std::numeric_limits<double>::infinity();
  ASSERT_TRUE(store_->runs()
                  .LogBatch(ws, run, {{"m", inf, 30, 2}, {"m", std::nan(""), 20, 1}}, {}, {})
                  .ok());
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, {{"m", -1, 10, 0}, {"m", -1, 10, 0}}, {}, {}).ok());
  auto h = store_->runs().GetMetricHistory({ws, run, "m"});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 3u);  // the identical point is stored once
  EXPECT_EQ((*h)[0].timestamp, 10);
  EXPECT_TRUE(std::isnan((*h)[1].value));
  EXPECT_EQ((*h)[2].value, inf);
}

TEST_P(StoreConformance, DeletedRunRejectsWritesUntilRestored) {
  std::int64_t ws = Workspace("w");
  std::string run = NewRunIn(ws);
  ASSERT_TRUE(store_->runs().SetRunLifecycle(ws, run, tracking::LifecycleStage::kDeleted).ok());
  EXPECT_EQ(store_->runs().LogBatch(ws, run, {{"m", 1, 1, 0}}, {}, {}).code(),
            ErrorCode::kInvalidParameterValue);
  ASSERT_TRUE(store_->runs().SetRunLifecycle(ws, run, tracking::LifecycleStage::kActive).ok());
  EXPECT_TRUE(store_->runs().LogBatch(ws, run, {{"m", 2, 2, 0}}, {}, {}).ok());
  auto h = store_->runs().GetMetricHistory({ws, run, "m"});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 1u) << "the write refused while deleted left nothing";
  EXPECT_EQ((*h)[0].value, 2);
}

// Metrics-only batches of one key, or of keys with a chunk each, are written with the run's
// lookup folded in on PostgreSQL: a NaN latest value, and 64-point keys, take that path.
TEST_P(StoreConformance, MetricsOnlyBatchesKeepNaNLatestAndWholeChunks) {
  std::int64_t ws = Workspace("w");
  std::string run = NewRunIn(ws);
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, {{"n", std::nan(""), 5, 1}}, {}, {}).ok());
  std::vector<tracking::Metric> batch;
  for (int i = 0; i < 64; ++i) {
    batch.push_back({"a", static_cast<double>(i), i, i});
    batch.push_back({"b", static_cast<double>(-i), i, i});
  }
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, batch, {}, {}).ok());
  auto got = store_->runs().GetRun(ws, run);
  ASSERT_TRUE(got.ok());
  std::map<std::string, tracking::Metric> latest;
  for (const auto& m : got->metrics) latest[m.key] = m;
  ASSERT_EQ(latest.size(), 3u);
  EXPECT_TRUE(std::isnan(latest["n"].value));
  EXPECT_EQ(latest["a"].value, 63);
  EXPECT_EQ(latest["b"].value, -63);
  auto ha = store_->runs().GetMetricHistory({ws, run, "a"});
  ASSERT_TRUE(ha.ok());
  EXPECT_EQ(ha->size(), 64u);
}

TEST_P(StoreConformance, ConcurrentWritersAreAllCommitted) {
  std::int64_t ws = Workspace("w");
  std::string run = NewRunIn(ws);
  constexpr int kThreads = 8, kBatches = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Metric> ms;
        for (int i = 0; i < 10; ++i)
          ms.push_back({"m", 1.0 * i, 1000 + t, t * 100000 + b * 10 + i});
        EXPECT_TRUE(store_->runs().LogBatch(ws, run, ms, {}, {}).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  auto h = store_->runs().GetMetricHistory({ws, run, "m"});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->size(), static_cast<size_t>(kThreads * kBatches * 10));
}

// Runs of experiment "0" whose metric "acc" compares with `number`, ordered by acc, highest first.
RunQuery ByMetric(std::int64_t ws, tracking::Comparator op, double number) {
  RunQuery q;
  q.workspace_id = ws;
  q.experiment_ids = {"0"};
  tracking::Clause c;
  c.type = tracking::EntityType::kMetric;
  c.key = "acc";
  c.op = op;
  c.is_numeric = true;
  c.number = number;
  q.filter = {c};
  q.order_by = {{tracking::EntityType::kMetric, "acc", false}};
  return q;
}

TEST_P(StoreConformance, SearchFiltersAndOrdersByMetric) {
  std::int64_t ws = Workspace("w");
  std::vector<std::string> runs;
  for (int i = 0; i < 10; ++i) {
    runs.push_back(NewRunIn(ws));
    ASSERT_TRUE(store_->runs()
                    .LogBatch(ws, runs.back(), {{"acc", i / 10.0, 1, 0}},
                              {{"p", i % 2 ? "odd" : "even"}}, {})
                    .ok());
  }
  RunQuery q = ByMetric(ws, tracking::Comparator::kGt, 0.45);
  q.limit = 3;
  auto res = store_->runs().SearchRuns(q);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  ASSERT_EQ(res->size(), 3u);
  EXPECT_EQ((*res)[0].info.run_id, runs[9]);
  EXPECT_EQ((*res)[2].info.run_id, runs[7]);
  q.offset = 3;
  auto page2 = store_->runs().SearchRuns(q);
  ASSERT_EQ(page2->size(), 2u);  // 0.5 and 0.6 remain
  EXPECT_EQ((*page2)[1].info.run_id, runs[5]);
}

// A page ordered by a filtered metric breaks ties as every other order does: start time (newest
// first), then run id; pages cut through a group of ties without losing or repeating a run.
TEST_P(StoreConformance, SearchTiesOnTheOrderedMetricBreakByStartTimeThenRunId) {
  std::int64_t ws = Workspace("w");
  const double values[] = {0.9, 0.7, 0.7, 0.7, 0.7, 0.7, 0.5, 0.05};
  const std::int64_t starts[] = {5, 1, 3, 3, 2, 3, 9, 1};
  struct Expect {
    double value;
    std::int64_t start;
    std::string id;
  };
  std::vector<Expect> expect;
  for (int i = 0; i < 8; ++i) {
    NewRun nr;
    nr.workspace_id = ws;
    nr.experiment_id = "0";
    nr.run_id = NewRunId();
    nr.run_name = "r";
    nr.start_time = starts[i];
    ASSERT_TRUE(store_->runs().CreateRun(nr).ok());
    ASSERT_TRUE(store_->runs().LogBatch(ws, nr.run_id, {{"acc", values[i], 1, 0}}, {}, {}).ok());
    if (values[i] > 0.1) expect.push_back({values[i], starts[i], nr.run_id});
  }
  std::sort(expect.begin(), expect.end(), [](const Expect& a, const Expect& b) {
    if (a.value != b.value) return a.value > b.value;
    if (a.start != b.start) return a.start > b.start;
    return a.id < b.id;
  });
  RunQuery q = ByMetric(ws, tracking::Comparator::kGt, 0.1);
  q.limit = 3;
  std::vector<std::string> got;
  for (q.offset = 0; q.offset < 9; q.offset += 3) {
    auto page = store_->runs().SearchRuns(q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& r : *page) got.push_back(r.info.run_id);
  }
  ASSERT_EQ(got.size(), expect.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], expect[i].id) << "position " << i;
  q.order_by[0].ascending = true;
  q.offset = 0;
  q.limit = 2;
  auto asc = store_->runs().SearchRuns(q);
  ASSERT_TRUE(asc.ok());
  ASSERT_EQ(asc->size(), 2u);
  EXPECT_EQ((*asc)[0].info.run_id, expect.back().id);  // 0.5
  EXPECT_EQ((*asc)[1].info.run_id, expect[1].id);      // the first of the 0.7 ties
}

// A param clause that matches many runs and one that matches a few are joined differently (a
// correlated EXISTS or an IN list); both give the same runs.
TEST_P(StoreConformance, SearchByCommonAndRareParamFindsTheSameRunsEitherWay) {
  std::int64_t ws = Workspace("w");
  std::vector<std::string> runs;
  for (int i = 0; i < 64; ++i) {
    runs.push_back(NewRunIn(ws));
    std::vector<KeyValue> params = {{"common", i % 2 ? "odd" : "even"}};
    if (i == 17) params.push_back({"rare", "yes"});
    ASSERT_TRUE(
        store_->runs().LogBatch(ws, runs.back(), {{"acc", i / 64.0, 1, 0}}, params, {}).ok());
  }
  auto search = [&](const std::string& key, const std::string& value) {
    RunQuery q = ByMetric(ws, tracking::Comparator::kGe, 0.25);
    tracking::Clause p;
    p.type = tracking::EntityType::kParam;
    p.key = key;
    p.op = tracking::Comparator::kEq;
    p.text = value;
    q.filter.push_back(p);
    q.limit = 100;
    auto res = store_->runs().SearchRuns(q);
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    std::vector<std::string> ids;
    if (res.ok()) {
      for (const auto& r : *res) ids.push_back(r.info.run_id);
    }
    return ids;
  };
  std::vector<std::string> odd;
  for (int i = 63; i >= 16; --i) {
    if (i % 2) odd.push_back(runs[i]);
  }
  EXPECT_EQ(search("common", "odd"), odd);
  EXPECT_EQ(search("rare", "yes"), std::vector<std::string>{runs[17]});
  EXPECT_TRUE(search("rare", "no").empty());
}

// A search's page carries every run's metrics (sorted by key), params and tags. Metric keys are
// named through a cache of key ids: a key first logged through another server (a second store on
// the same database) after the cache was filled still comes back with its name.
TEST_P(StoreConformance, SearchPagesCarryMetricsParamsAndTagsWithKeysLoggedElsewhere) {
  std::int64_t ws = Workspace("w");
  std::string a = NewRunIn(ws), b = NewRunIn(ws);
  ASSERT_TRUE(
      store_->runs()
          .LogBatch(ws, a, {{"acc", 0.9, 1, 2}, {"loss", 0.1, 1, 2}}, {{"lr", "0.1"}}, {{"t", "x"}})
          .ok());
  ASSERT_TRUE(store_->runs().LogBatch(ws, b, {{"acc", 0.8, 1, 0}}, {}, {}).ok());
  RunQuery q = ByMetric(ws, tracking::Comparator::kGt, 0.0);
  auto first = store_->runs().SearchRuns(q);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 2u);
  const tracking::Run& ra = (*first)[0];
  ASSERT_EQ(ra.metrics.size(), 2u);
  EXPECT_EQ(ra.metrics[0].key, "acc");
  EXPECT_EQ(ra.metrics[0].value, 0.9);
  EXPECT_EQ(ra.metrics[0].step, 2);
  EXPECT_EQ(ra.metrics[1].key, "loss");
  ASSERT_EQ(ra.params.size(), 1u);
  EXPECT_EQ(ra.params[0].value, "0.1");
  ASSERT_EQ(ra.tags.size(), 1u);
  EXPECT_EQ(ra.tags[0].key, "t");

  auto other = OpenMetadataStore(uri_);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_TRUE(
      (*other)->runs().LogBatch(ws, b, {{"zeta", 3.5, 1, 0}, {"beta", 2, 1, 0}}, {}, {}).ok());
  auto again = store_->runs().SearchRuns(q);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->size(), 2u);
  const tracking::Run& rb = (*again)[1];
  EXPECT_EQ(rb.info.run_id, b);
  ASSERT_EQ(rb.metrics.size(), 3u);
  EXPECT_EQ(rb.metrics[0].key, "acc");
  EXPECT_EQ(rb.metrics[1].key, "beta");
  EXPECT_EQ(rb.metrics[2].key, "zeta");
  EXPECT_EQ(rb.metrics[2].value, 3.5);
}

TEST_P(StoreConformance, SecretsKeepTheirBytesAndPutReplaces) {
  std::int64_t ws = Workspace("w");
  std::string nonce("\x00\x01\xff\x7f", 4), ct("\xde\xad\x00\xbe\xef", 5);
  ASSERT_TRUE(store_->secrets().PutSecret(ws, {"k", nonce, ct, 1, 1}).ok());
  auto got = store_->secrets().GetSecret(ws, "k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->nonce, nonce);
  EXPECT_EQ(got->ciphertext, ct);
  ASSERT_TRUE(store_->secrets().PutSecret(ws, {"k", "n2", "c2", 1, 2}).ok());
  got = store_->secrets().GetSecret(ws, "k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->ciphertext, "c2");
  EXPECT_EQ(got->update_time, 2);
  EXPECT_EQ(store_->secrets().DeleteSecret(ws, "nope").code(), ErrorCode::kResourceDoesNotExist);
}

TEST_P(StoreConformance, TokensAreFoundByTheirBinaryHash) {
  auto u = store_->auth().CreateUser("alice", "hash");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(store_->auth().CreateUser("alice", "x").status().code(),
            ErrorCode::kResourceAlreadyExists);
  Sha256 secret{};
  for (size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<unsigned char>(255 - i * 7);
  auto t = store_->auth().CreateToken(u->id, "ci", "mlws_ab", secret, std::nullopt, "");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_GT(t->id, 0);
  auto found = store_->auth().FindToken(secret);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->second.name, "alice");
  secret[0] ^= 1;
  EXPECT_FALSE(store_->auth().FindToken(secret).ok());
}

// Audit records are written several to a statement: more than one statement's worth (16) each
// keep their own fields and order.
TEST_P(StoreConformance, EveryAuditRecordOfABurstIsStoredWithItsOwnFields) {
  constexpr int kRecords = 37;
  for (int i = 0; i < kRecords; ++i) {
    auth::AuditEntry e;
    e.time = 1000 + i;
    e.user_name = "u" + std::to_string(i);
    e.remote_addr = "10.0.0." + std::to_string(i);
    e.method = "POST";
    e.path = "/p/" + std::to_string(i);
    e.workspace = "w";
    e.action = "a";
    e.status = 200 + i;
    store_->auth().AppendAudit(e);
  }
  Workspace("after");  // a synchronous write queued behind them: they are committed by now
  auth::AuditQuery q;
  q.limit = 100;
  auto got = store_->auth().ListAudit(q);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), static_cast<size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) {
    const auth::AuditEntry& e = (*got)[kRecords - 1 - i];  // newest first
    EXPECT_EQ(e.time, 1000 + i);
    EXPECT_EQ(e.user_name, "u" + std::to_string(i));
    EXPECT_EQ(e.remote_addr, "10.0.0." + std::to_string(i));
    EXPECT_EQ(e.path, "/p/" + std::to_string(i));
    EXPECT_EQ(e.status, 200 + i);
  }
}

TEST_P(StoreConformance, ExperimentLikeIsCaseSensitiveAndILikeIsNot) {
  std::int64_t ws = Workspace("w");
  ASSERT_TRUE(store_->experiments().CreateExperiment(ws, "Alpha", "a/{id}", {}).ok());
  ASSERT_TRUE(store_->experiments().CreateExperiment(ws, "alpha-2", "a/{id}", {}).ok());
  auto names = [&](tracking::Comparator op, const std::string& pattern) {
    ExperimentQuery q;
    q.workspace_id = ws;
    tracking::Clause c;
    c.type = tracking::EntityType::kAttribute;
    c.key = "name";
    c.op = op;
    c.text = pattern;
    q.filter = {c};
    auto page = store_->experiments().SearchExperiments(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::set<std::string> out;
    if (page.ok()) {
      for (const auto& e : page->experiments) out.insert(e.name);
    }
    return out;
  };
  EXPECT_EQ(names(tracking::Comparator::kLike, "alpha%"), std::set<std::string>{"alpha-2"});
  EXPECT_EQ(names(tracking::Comparator::kILike, "ALPHA%"),
            (std::set<std::string>{"Alpha", "alpha-2"}));
}

TEST_P(StoreConformance, RegistryTagsAndAliasesAreReplacedInPlace) {
  std::int64_t ws = Workspace("w");
  ASSERT_TRUE(store_->registry().CreateRegisteredModel(ws, "m", "", {{"k", "1"}}).ok());
  ASSERT_TRUE(store_->registry().SetRegisteredModelTag(ws, "m", {"k", "2"}).ok());
  assets::ModelVersion v;
  v.name = "m";
  v.source = "runs:/x/model";
  auto v1 = store_->registry().CreateModelVersion(ws, v);
  auto v2 = store_->registry().CreateModelVersion(ws, v);
  ASSERT_TRUE(v1.ok() && v2.ok()) << v1.status().ToString() << v2.status().ToString();
  EXPECT_EQ(v2->version, v1->version + 1);
  ASSERT_TRUE(store_->registry().SetAlias(ws, "m", "champion", v1->version).ok());
  ASSERT_TRUE(store_->registry().SetAlias(ws, "m", "champion", v2->version).ok());
  auto by_alias = store_->registry().GetVersionByAlias(ws, "m", "champion");
  ASSERT_TRUE(by_alias.ok()) << by_alias.status().ToString();
  EXPECT_EQ(by_alias->version, v2->version);
  auto m = store_->registry().GetRegisteredModel(ws, "m");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->tags.size(), 1u);
  EXPECT_EQ(m->tags[0].value, "2");
  EXPECT_EQ(store_->registry().CreateRegisteredModel(ws, "m", "", {}).status().code(),
            ErrorCode::kResourceAlreadyExists);
}

TEST_P(StoreConformance, AssetVersionsAreImmutableAndLatestFollowsCreation) {
  std::int64_t ws = Workspace("w");
  assets::Asset a;
  a.kind = assets::AssetKind::kData;
  a.name = "d";
  a.type = "uri_file";
  a.version = "1";
  ASSERT_TRUE(store_->assets().CreateAsset(ws, a).ok());
  a.version = "2";
  ASSERT_TRUE(store_->assets().CreateAsset(ws, a).ok());
  EXPECT_EQ(store_->assets().CreateAsset(ws, a).status().code(), ErrorCode::kResourceAlreadyExists);
  auto latest = store_->assets().GetLatestAsset(ws, assets::AssetKind::kData, "d");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->version, "2");
  std::string run = NewRunIn(ws);
  ASSERT_TRUE(store_->assets().RecordAssetInput(ws, run, assets::AssetKind::kData, "d", "1").ok());
  ASSERT_TRUE(store_->assets().RecordAssetInput(ws, run, assets::AssetKind::kData, "d", "1").ok());
  auto users = store_->assets().RunsUsingAsset(ws, assets::AssetKind::kData, "d", "1");
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  EXPECT_EQ(*users, std::vector<std::string>{run});
}

TEST_P(StoreConformance, DocumentsArePutReplacedListedAndDeleted) {
  std::int64_t ws = Workspace("w");
  ASSERT_TRUE(store_->webhooks().Put(ws, {"h1", 5, "{\"a\":1}"}).ok());
  ASSERT_TRUE(store_->webhooks().Put(ws, {"h1", 5, "{\"a\":2}"}).ok());
  ASSERT_TRUE(store_->webhooks().Put(ws, {"h0", 9, "{}"}).ok());
  auto list = store_->webhooks().List(ws);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "h1");
  EXPECT_EQ((*list)[0].doc, "{\"a\":2}");
  ASSERT_TRUE(store_->webhooks().Delete(ws, "h1").ok());
  EXPECT_EQ(store_->webhooks().Delete(ws, "h1").code(), ErrorCode::kResourceDoesNotExist);
}

TEST_P(StoreConformance, AcknowledgedWritesAreVisibleToANewConnection) {
  std::int64_t ws = Workspace("w");
  std::string run = NewRunIn(ws);
  Status logged = store_->runs().LogBatch(ws, run, {{"m", 1.5, 1, 0}}, {}, {{"t", "v"}});
  ASSERT_TRUE(logged.ok()) << logged.ToString();
  auto other = OpenMetadataStore(uri_);  // another process's view: only committed data
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  auto got = (*other)->runs().GetRun(ws, run);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->metrics.size(), 1u);
  EXPECT_DOUBLE_EQ(got->metrics[0].value, 1.5);
}

std::vector<tracking::MetricPoint> Drain(MetricHistoryCursor& c, std::size_t batch) {
  std::vector<tracking::MetricPoint> out;
  for (;;) {
    std::size_t before = out.size();
    Status st = c.Next(out, batch);
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_LE(out.size() - before, batch);
    if (!st.ok() || out.size() == before) return out;
  }
}
bool SamePoints(const std::vector<tracking::MetricPoint>& a,
                const std::vector<tracking::MetricPoint>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](auto& x, auto& y) {
           return x.step == y.step && x.timestamp == y.timestamp &&
                  (x.value == y.value || (std::isnan(x.value) && std::isnan(y.value)));
         });
}

TEST_P(StoreConformance, HistoryCursorReadsWhatGetMetricHistoryReturnsInBatches) {
  std::int64_t ws = Workspace("w");
  std::string in_order = NewRunIn(ws), shuffled = NewRunIn(ws);
  double nan = std::nan("");
  // In logging order, a point repeated across two requests, NaN values.
  for (const auto& batch :
       std::vector<std::vector<Metric>>{{{"m", 1, 10, 1}, {"m", 2, 20, 2}},
                                        {{"m", 2, 20, 2}, {"m", nan, 30, 3}},
                                        {{"m", nan, 30, 3}, {"m", 4, 40, 4}, {"m", 5, 50, 5}}}) {
    ASSERT_TRUE(store_->runs().LogBatch(ws, in_order, batch, {}, {}).ok());
  }
  for (const auto& batch : std::vector<std::vector<Metric>>{{{"m", 3, 30, 3}, {"m", 1, 10, 1}},
                                                            {{"m", 1, 10, 1}, {"m", 2, 5, 9}}}) {
    ASSERT_TRUE(store_->runs().LogBatch(ws, shuffled, batch, {}, {}).ok());
  }
  for (const std::string& run : {in_order, shuffled}) {
    auto want = store_->runs().GetMetricHistory({ws, run, "m"});
    ASSERT_TRUE(want.ok());
    for (std::size_t batch : {1u, 2u, 1000u}) {
      auto c = store_->runs().OpenMetricHistory({ws, run, "m"});
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      EXPECT_TRUE(SamePoints(Drain(**c, batch), *want)) << run << " batch " << batch;
    }
  }
  EXPECT_EQ(store_->runs().GetMetricHistory({ws, in_order, "m"})->size(), 5u);
}

TEST_P(StoreConformance, HistoryCursorEndsWhereItWasOpened) {
  std::int64_t ws = Workspace("w");
  std::string run = NewRunIn(ws);
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, {{"m", 1, 10, 1}, {"m", 2, 20, 2}}, {}, {}).ok());
  auto c = store_->runs().OpenMetricHistory({ws, run, "m"});
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, {{"m", 3, 30, 3}}, {}, {}).ok());
  EXPECT_EQ(Drain(**c, 10).size(), 2u);
  auto missing_key = store_->runs().OpenMetricHistory({ws, run, "never"});
  ASSERT_TRUE(missing_key.ok());
  EXPECT_TRUE(Drain(**missing_key, 10).empty());
  auto missing_run = store_->runs().OpenMetricHistory({ws, NewRunId(), "m"});
  EXPECT_EQ(missing_run.status().code(), ErrorCode::kResourceDoesNotExist);
}

// Requests with many keys and few points per key share one multi-key chunk per request, folded
// into per-key chunks every 16 such requests (metric_compaction.h): histories, their order, NaN,
// infinity, duplicate points and latest values are the same on both sides of a fold, and a key
// logged both ways (a big request of its own, then small shared ones) keeps every point.
TEST_P(StoreConformance, ManyKeyRequestsKeepHistoriesAndLatestAcrossFolds) {
  std::int64_t ws = Workspace("w");
  std::string run = NewRunIn(ws);
  constexpr int kKeys = 30, kRequests = 37;  // two folds and 5 requests left unfolded
  std::vector<Metric> big;
  for (int s = 0; s < 100; ++s) big.push_back({"k0", s + 0.5, 1000 + s, s});
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, big, {}, {}).ok());
  double inf = std::numeric_limits<double>::infinity();
  for (int r = 0; r < kRequests; ++r) {
    std::vector<Metric> batch;
    for (int k = 0; k < kKeys; ++k) {
      std::int64_t step = 100 + 2 * r;
      double v = k == 1 ? std::nan("") : k == 2 ? inf : k * 1000 + r;
      batch.push_back({"k" + std::to_string(k), v, 2000 + step, step});
      batch.push_back({"k" + std::to_string(k), v + 0.25, 2000 + step + 1, step + 1});
    }
    if (r == 5) batch.push_back(batch[0]);  // an identical point: stored once
    ASSERT_TRUE(store_->runs().LogBatch(ws, run, batch, {}, {}).ok()) << r;
  }
  auto run_now = store_->runs().GetRun(ws, run);
  ASSERT_TRUE(run_now.ok());
  ASSERT_EQ(run_now->metrics.size(), static_cast<std::size_t>(kKeys));
  std::map<std::string, Metric> latest;
  for (const auto& m : run_now->metrics) latest[m.key] = m;
  EXPECT_EQ(latest["k5"].step, 100 + 2 * (kRequests - 1) + 1);
  EXPECT_DOUBLE_EQ(latest["k5"].value, 5000 + kRequests - 1 + 0.25);
  EXPECT_TRUE(std::isnan(latest["k1"].value));
  for (const std::string key : {"k0", "k1", "k2", "k29"}) {
    auto h = store_->runs().GetMetricHistory({ws, run, key});
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    std::size_t want = 2 * kRequests + (key == "k0" ? 100 : 0);
    ASSERT_EQ(h->size(), want) << key;
    EXPECT_TRUE(std::is_sorted(h->begin(), h->end(), [](const auto& a, const auto& b) {
      return a.timestamp < b.timestamp;
    })) << key;
    if (key == "k2") {
      EXPECT_EQ(h->back().value, inf);
    }
    if (key == "k1") {
      EXPECT_TRUE(std::isnan(h->front().value));
    }
    for (std::size_t batch : {7u, 1000u}) {
      auto c = store_->runs().OpenMetricHistory({ws, run, key});
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      EXPECT_TRUE(SamePoints(Drain(**c, batch), *h)) << key << " batch " << batch;
    }
  }
  // Search sees the latest values of shared keys (latest_metrics stays one row per key).
  RunQuery q = ByMetric(ws, tracking::Comparator::kGt, 7000);
  q.filter[0].key = "k7";
  q.order_by[0].key = "k7";
  auto found = store_->runs().SearchRuns(q);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->size(), 1u);
}

// A stream opened before a fold reads every point it saw at open once: the fold moves the
// shared points into chunks numbered past the stream's end, which the stream never reads.
TEST_P(StoreConformance, HistoryStreamOpenedBeforeAFoldReadsEachPointOnce) {
  std::int64_t ws = Workspace("w");
  std::string run = NewRunIn(ws);
  auto log = [&](int r) {
    std::vector<Metric> batch = {{"a", r * 1.0, 10 + r, r}, {"b", r * 2.0, 10 + r, r}};
    return store_->runs().LogBatch(ws, run, batch, {}, {});
  };
  for (int r = 0; r < 15; ++r) ASSERT_TRUE(log(r).ok());  // one short of a fold
  std::vector<Metric> own;  // then a chunk of "a"'s own, read by the stream after the fold
  for (int s = 100; s < 200; ++s) own.push_back({"a", s * 1.0, 10 + s, s});
  ASSERT_TRUE(store_->runs().LogBatch(ws, run, own, {}, {}).ok());
  auto c = store_->runs().OpenMetricHistory({ws, run, "a"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  for (int r = 15; r < 40; ++r) ASSERT_TRUE(log(r + 200).ok());  // folds, then more
  auto got = Drain(**c, 7);
  ASSERT_EQ(got.size(), 115u);
  for (std::size_t i = 1; i < got.size(); ++i) EXPECT_LT(got[i - 1].step, got[i].step) << i;
  auto now = store_->runs().GetMetricHistory({ws, run, "a"});
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->size(), 140u);
}

}  // namespace
}  // namespace mlws::store
