// The database's own I/O through the Env seam (store/sqlite/env_vfs.h): with a FaultEnv whose
// fsyncs fail or whose disk fills, writes through the store fail and nothing of them is
// acknowledged; once the fault clears the same store keeps working, and the file, reopened
// without the shim, holds exactly what was acknowledged.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "../store_backends.h"
#include "mlws/common/env.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {
namespace {

namespace fs = std::filesystem;

class EnvVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mlws-envvfs-" + NewRunId());
    fs::create_directories(dir_);
    store_ = OpenStore(&env_);
    ASSERT_NE(store_, nullptr);
    auto w = store_->workspaces().CreateWorkspace("w", "");
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ws_ = w->id;
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  std::unique_ptr<SqliteStore> OpenStore(Env* env) {
    auto s = SqliteStore::Open((dir_ / "db.sqlite").string(), env);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    auto v = (*s)->Migrate();
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return std::move(*s);
  }
  // The database as a crash of the server would leave it: its file and WAL copied while the store
  // is open, without the shared-memory index (so SQLite recovers from the WAL), opened as a store.
  std::unique_ptr<SqliteStore> CrashCopy(const std::string& name) {
    fs::create_directories(dir_ / name);
    for (const char* f : {"db.sqlite", "db.sqlite-wal"}) {
      if (fs::exists(dir_ / f)) fs::copy_file(dir_ / f, dir_ / name / f);
    }
    auto s = SqliteStore::Open((dir_ / name / "db.sqlite").string());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // A new run's id, or "" (and the Status in *st) when the store refused it.
  std::string CreateRun(Status* st) {
    NewRun nr = testing::TestNewRun(ws_);
    auto r = store_->runs().CreateRun(nr);
    *st = r.status();
    return r.ok() ? nr.run_id : "";
  }
  // Logs `n` points of metric `key` (one batch).
  Status LogPoints(const std::string& run, const std::string& key, int n) {
    std::vector<tracking::Metric> ms;
    for (int i = 0; i < n; ++i) ms.push_back({key, i * 0.5, 1000 + i, i});
    return store_->runs().LogBatch(ws_, run, ms, {}, {});
  }
  // The number of points of `key` in `run` in `store`.
  static std::size_t Points(MetadataStore& store, std::int64_t ws, const std::string& run,
                            const std::string& key) {
    auto h = store.runs().GetMetricHistory({ws, run, key});
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? h->size() : 0;
  }

  fs::path dir_;
  FaultEnv env_;
  std::unique_ptr<SqliteStore> store_;
  std::int64_t ws_ = 0;
};

TEST_F(EnvVfsTest, FailingFsyncFailsTheWriteAndTheStoreRecovers) {
  Status st;
  std::string kept = CreateRun(&st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(LogPoints(kept, "loss", 3).ok());

  env_.FailSyncs(true);
  std::string lost = NewRunId();
  NewRun nr = testing::TestNewRun(ws_);
  nr.run_id = lost;
  auto created = store_->runs().CreateRun(nr);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), ErrorCode::kInternalError) << created.status().ToString();
  EXPECT_NE(created.status().message().find("disk I/O error"), std::string::npos)
      << created.status().ToString();
  Status logged = LogPoints(kept, "loss", 5);
  EXPECT_FALSE(logged.ok());
  EXPECT_EQ(logged.code(), ErrorCode::kInternalError) << logged.ToString();
  // Nothing of the failed writes is visible, even before the fault clears.
  EXPECT_EQ(store_->runs().GetRun(ws_, lost).status().code(), ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(Points(*store_, ws_, kept, "loss"), 3u);

  env_.FailSyncs(false);
  std::string after = CreateRun(&st);
  ASSERT_TRUE(st.ok()) << "the store did not recover: " << st.ToString();
  ASSERT_TRUE(LogPoints(kept, "acc", 2).ok());

  store_.reset();
  auto reopened = OpenStore(nullptr);
  ASSERT_NE(reopened, nullptr);
  EXPECT_TRUE(reopened->runs().GetRun(ws_, kept).ok());
  EXPECT_TRUE(reopened->runs().GetRun(ws_, after).ok());
  EXPECT_EQ(reopened->runs().GetRun(ws_, lost).status().code(), ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(Points(*reopened, ws_, kept, "loss"), 3u);
  EXPECT_EQ(Points(*reopened, ws_, kept, "acc"), 2u);
}

TEST_F(EnvVfsTest, FullDiskIsNoSpaceLeftAndTheStoreRecovers) {
  Status st;
  std::string kept = CreateRun(&st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(LogPoints(kept, "loss", 3).ok());

  // A few pages left: a big batch fills the disk part-way through its WAL frames.
  env_.DiskFullAfter(3 * 4096);
  Status logged = LogPoints(kept, "big", 5000);
  ASSERT_FALSE(logged.ok());
  EXPECT_EQ(logged.code(), ErrorCode::kTemporarilyUnavailable) << logged.ToString();
  EXPECT_NE(logged.message().find("no space left on device"), std::string::npos)
      << logged.ToString();
  env_.DiskFullAfter(0);
  NewRun nr = testing::TestNewRun(ws_);
  std::string lost = nr.run_id;
  auto created = store_->runs().CreateRun(nr);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), ErrorCode::kTemporarilyUnavailable);
  EXPECT_NE(created.status().message().find("no space left on device"), std::string::npos)
      << created.status().ToString();
  EXPECT_EQ(Points(*store_, ws_, kept, "big"), 0u);

  env_.DiskFullAfter(-1);
  std::string after = CreateRun(&st);
  ASSERT_TRUE(st.ok()) << "the store did not recover: " << st.ToString();
  ASSERT_TRUE(LogPoints(kept, "big", 50).ok());

  store_.reset();
  auto reopened = OpenStore(nullptr);
  ASSERT_NE(reopened, nullptr);
  EXPECT_TRUE(reopened->runs().GetRun(ws_, after).ok());
  EXPECT_EQ(reopened->runs().GetRun(ws_, lost).status().code(), ErrorCode::kResourceDoesNotExist);
  EXPECT_EQ(Points(*reopened, ws_, kept, "loss"), 3u);
  EXPECT_EQ(Points(*reopened, ws_, kept, "big"), 50u);
}

// A crash (the process dies; its files stay as the kernel has them) right after a failed fsync
// loses nothing acknowledged. The failed commit's frames may still sit in the WAL and come back
// on recovery (its outcome is unknown, as on PostgreSQL, whose answer to a failed fsync is a
// crash and a WAL replay); the next commit that succeeds writes over them, and a crash after it
// holds exactly what was acknowledged.
TEST_F(EnvVfsTest, ACrashAfterAFailedFsyncKeepsEveryAcknowledgedWrite) {
  Status st;
  std::string kept = CreateRun(&st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  env_.FailSyncs(true);
  NewRun nr = testing::TestNewRun(ws_);
  ASSERT_FALSE(store_->runs().CreateRun(nr).ok());
  auto crash1 = CrashCopy("crash1");
  ASSERT_NE(crash1, nullptr);
  EXPECT_TRUE(crash1->runs().GetRun(ws_, kept).ok());

  env_.FailSyncs(false);
  std::string after = CreateRun(&st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto crash2 = CrashCopy("crash2");
  ASSERT_NE(crash2, nullptr);
  EXPECT_TRUE(crash2->runs().GetRun(ws_, kept).ok());
  EXPECT_TRUE(crash2->runs().GetRun(ws_, after).ok());
  EXPECT_EQ(crash2->runs().GetRun(ws_, nr.run_id).status().code(),
            ErrorCode::kResourceDoesNotExist);
}

TEST_F(EnvVfsTest, TheDatabaseWritesGoThroughTheEnv) {
  std::int64_t before = env_.bytes_written();
  Status st;
  (void)CreateRun(&st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_GT(env_.bytes_written(), before);
}

}  // namespace
}  // namespace mlws::store::sqlite
