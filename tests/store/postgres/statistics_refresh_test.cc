// StatisticsRefresh (store/sqlite/statistics_refresh.h) through the store on PostgreSQL: a bulk of
// runs created through the store leaves fresh planner statistics behind without waiting for
// autovacuum (a manual ANALYZE sets pg_stat_user_tables.last_analyze; autovacuum's sets
// last_autoanalyze, so this cannot pass by autovacuum alone).
#include "store/sqlite/statistics_refresh.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "../store_backends.h"
#include "mlws/store/metadata_store.h"
#include "store/postgres/pg_db.h"

namespace mlws::store {
namespace {

// Whether PostgreSQL has a manual ANALYZE of `table` on record.
bool Analyzed(const std::string& uri, const char* table) {
  auto db = postgres::PgDb::Connect(uri, /*readonly=*/true);
  if (!db.ok()) return false;
  auto st = (*db)->Prepare(
      "SELECT COUNT(*) FROM pg_stat_user_tables WHERE relname = ? AND last_analyze IS NOT NULL");
  if (!st.ok()) return false;
  st->Bind(1, table);
  auto row = st->Step();
  return row.ok() && *row && st->Int(0) == 1;
}

TEST(StatisticsRefreshTest, ABulkOfRunsLeavesFreshPlannerStatistics) {
  std::filesystem::path dir;
  std::string uri;
  testing::FreshBackend("postgres", "stats", &dir, &uri);
  if (uri.empty()) GTEST_SKIP() << testing::PgCluster::Get().why_not();
  auto store = OpenMetadataStore(uri);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Migrate().ok());
  auto w = (*store)->workspaces().CreateWorkspace("w", "");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_FALSE(Analyzed(uri, "runs"));

  for (std::int64_t i = 0; i < sqlite::StatisticsRefresh::kMinRuns; ++i) {
    auto r = (*store)->runs().CreateRun(testing::TestNewRun(w->id));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  // The refresh runs in the background and PostgreSQL publishes its statistics a moment after:
  // wait for them (bounded, so a missing refresh fails instead of hanging).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!(Analyzed(uri, "runs") && Analyzed(uri, "latest_metrics") && Analyzed(uri, "params")) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(Analyzed(uri, "runs"));
  EXPECT_TRUE(Analyzed(uri, "latest_metrics"));
  EXPECT_TRUE(Analyzed(uri, "params"));
  EXPECT_TRUE(Analyzed(uri, "tags"));
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mlws::store
