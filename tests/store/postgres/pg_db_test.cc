// PgDb against a real PostgreSQL 15 (tests/store/store_backends.h): deferred BEGIN / SAVEPOINT /
// RELEASE pipelined with the next statement keep the write queue's transaction semantics, a
// connection lost inside a transaction never lets it commit, large values are stored with lz4
// compression, and RunAll sends several statements in one pipeline.
#include "store/postgres/pg_db.h"

#include <gtest/gtest.h>

#include <string>

#include "../store_backends.h"

namespace mlws::store::postgres {
namespace {

class PgDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& cluster = testing::PgCluster::Get();
    if (!cluster.base_uri()) GTEST_SKIP() << cluster.why_not();
    uri_ = cluster.NewDatabase();
    ASSERT_FALSE(uri_.empty());
    auto db = PgDb::Connect(uri_, false);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    ASSERT_TRUE(db_->Exec("CREATE TABLE t (v BIGINT PRIMARY KEY)").ok());
  }

  // What another connection sees committed.
  std::string Committed() {
    auto other = PgDb::Connect(uri_, true);
    EXPECT_TRUE(other.ok()) << other.status().ToString();
    if (!other.ok()) return "?";
    auto s = (*other)->Prepare("SELECT v FROM t ORDER BY v");
    EXPECT_TRUE(s.ok());
    std::string out;
    while (s.ok() && *s->Step()) out += std::to_string(s->Int(0)) + ",";
    return out;
  }

  Status Insert(int v) {
    ASSIGN_OR_RETURN(Stmt * s, db_->Cached("INSERT INTO t (v) VALUES (?)"));
    s->Bind(1, v);
    Status st = s->Run();
    s->Reset();
    return st;
  }

  // As the write queue runs one write: inside a savepoint, rolled back to it on failure.
  Status Write(int v) {
    ASSIGN_OR_RETURN(Stmt * sp, db_->Cached("SAVEPOINT w"));
    RETURN_IF_ERROR(sp->Run());
    sp->Reset();
    Status st = Insert(v);
    ASSIGN_OR_RETURN(Stmt * rollback, db_->Cached("ROLLBACK TO w"));
    ASSIGN_OR_RETURN(Stmt * release, db_->Cached("RELEASE w"));
    if (!st.ok()) {
      (void)rollback->Run();  // as the queue does: the write's own error is what counts
      rollback->Reset();
    }
    Status released = release->Run();
    release->Reset();
    return st.ok() ? released : st;
  }

  std::string uri_;
  std::unique_ptr<PgDb> db_;
};

TEST_F(PgDbTest, GroupOfWritesCommitsAndAFailedOneRollsBackAlone) {
  ASSERT_TRUE(db_->Exec("BEGIN IMMEDIATE").ok());
  EXPECT_TRUE(Write(1).ok());
  EXPECT_TRUE(Write(2).ok());
  Status dup = Write(1);  // primary key violated: only this write is undone
  EXPECT_EQ(dup.code(), ErrorCode::kResourceAlreadyExists) << dup.ToString();
  EXPECT_TRUE(Write(3).ok());
  EXPECT_EQ(Committed(), "");  // nothing visible before COMMIT
  ASSERT_TRUE(db_->Exec("COMMIT").ok());
  EXPECT_EQ(Committed(), "1,2,3,");
}

TEST_F(PgDbTest, DeferredStatementErrorIsReportedAndTheTransactionNeverCommits) {
  ASSERT_TRUE(db_->Exec("BEGIN").ok());
  EXPECT_TRUE(Insert(1).ok());
  EXPECT_TRUE(db_->Exec("RELEASE nosuch").ok());  // deferred: its error comes with the next one
  Status next = Insert(2);
  EXPECT_FALSE(next.ok());
  EXPECT_NE(next.message().find("nosuch"), std::string::npos) << next.ToString();
  Status commit = db_->Exec("COMMIT");
  EXPECT_FALSE(commit.ok()) << "a COMMIT turned into ROLLBACK must fail";
  EXPECT_EQ(Committed(), "");
  EXPECT_TRUE(Insert(5).ok());  // the connection is usable again
  EXPECT_EQ(Committed(), "5,");
}

TEST_F(PgDbTest, ConnectionLostInsideATransactionFailsItsCommit) {
  auto pid = db_->Prepare("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  ASSERT_TRUE(*pid->Step());
  const std::int64_t backend = pid->Int(0);
  ASSERT_TRUE(db_->Exec("BEGIN").ok());
  ASSERT_TRUE(Write(1).ok());
  {
    auto admin = PgDb::Connect(uri_, false);
    ASSERT_TRUE(admin.ok());
    auto kill = (*admin)->Prepare("SELECT pg_terminate_backend(CAST(? AS INTEGER))");
    ASSERT_TRUE(kill.ok());
    kill->Bind(1, backend);
    auto killed = kill->Step();
    ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  }
  // Whatever comes next in this transaction fails, and so does its COMMIT.
  Status st = Write(2);
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(db_->Exec("COMMIT").ok());
  EXPECT_EQ(Committed(), "");
  // The next transaction runs on a new connection.
  ASSERT_TRUE(db_->Exec("BEGIN").ok());
  EXPECT_TRUE(Write(7).ok());
  ASSERT_TRUE(db_->Exec("COMMIT").ok());
  EXPECT_EQ(Committed(), "7,");
}

TEST_F(PgDbTest, PreparedStatementRunsAgainAfterTheConnectionWasReestablished) {
  ASSERT_TRUE(Insert(1).ok());
  auto read = [&]() -> StatusOr<std::int64_t> {
    ASSIGN_OR_RETURN(Stmt * s, db_->Cached("SELECT count(*) FROM t WHERE v >= ?"));
    s->Bind(1, 0);
    ASSIGN_OR_RETURN(bool row, s->Step());
    std::int64_t n = row ? s->Int(0) : -1;
    s->Reset();
    return n;
  };
  for (int i = 0; i < 3; ++i) ASSERT_EQ(*read(), 1);  // by now prepared on the server
  auto pid = db_->Prepare("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  ASSERT_TRUE(*pid->Step());
  const std::int64_t backend = pid->Int(0);
  {
    auto admin = PgDb::Connect(uri_, false);
    ASSERT_TRUE(admin.ok());
    auto kill = (*admin)->Prepare("SELECT pg_terminate_backend(CAST(? AS INTEGER))");
    ASSERT_TRUE(kill.ok());
    kill->Bind(1, backend);
    ASSERT_TRUE(kill->Step().ok());
  }
  // The first statement may see the loss (the server closed the connection under it); after
  // that the statement is prepared again on the new connection and runs.
  (void)read();
  StatusOr<std::int64_t> again = read();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, 1);
}

TEST_F(PgDbTest, WriteConnectionsCompressLargeValuesWithLz4) {
  ASSERT_TRUE(db_->Exec("CREATE TABLE b (data BYTEA)").ok());
  std::string blob(4000, 'x');  // over the 2 KB TOAST threshold, and compressible
  auto ins = db_->Prepare("INSERT INTO b (data) VALUES (?)");
  ASSERT_TRUE(ins.ok());
  ins->BindBlob(1, blob.data(), static_cast<int>(blob.size()));
  ASSERT_TRUE(ins->Run().ok());
  auto s = db_->Prepare("SELECT pg_column_compression(data), data FROM b");
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(*s->Step());
  EXPECT_EQ(s->Text(0), "lz4");
  EXPECT_EQ(s->Blob(1), blob);
}

// The statements of one pipeline run in one implicit transaction: the same
// transaction_timestamp() shows they went out together (separate round trips would each start
// a transaction of their own).
TEST_F(PgDbTest, RunAllSendsStatementsInOnePipelineAndEachReadsItsOwnRows) {
  for (int v = 1; v <= 5; ++v) ASSERT_TRUE(Insert(v).ok());
  // Three rounds: the cached statements run unnamed, then are parsed under their names inside
  // the pipeline, then run by name.
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    auto low = db_->Cached("SELECT v, transaction_timestamp() FROM t WHERE v <= ? ORDER BY v");
    auto high = db_->Cached("SELECT count(*), transaction_timestamp() FROM t WHERE v > ?");
    auto text = db_->Prepare("SELECT CAST(? AS TEXT), transaction_timestamp()");
    ASSERT_TRUE(low.ok() && high.ok() && text.ok());
    (*low)->Bind(1, 3);
    (*high)->Bind(1, 1);
    text->Bind(1, "x");
    ASSERT_TRUE(db_->RunAll({*low, *high, &*text}).ok());
    std::string lows, when;
    for (;;) {
      auto row = (*low)->Step();
      ASSERT_TRUE(row.ok()) << row.status().ToString();
      if (!*row) break;
      lows += (*low)->Text(0) + ",";
      when = (*low)->Text(1);
    }
    EXPECT_EQ(lows, "1,2,3,");
    ASSERT_TRUE(*(*high)->Step());
    EXPECT_EQ((*high)->Int(0), 4);
    EXPECT_EQ((*high)->Text(1), when);
    ASSERT_TRUE(*text->Step());
    EXPECT_EQ(text->Text(0), "x");
    EXPECT_EQ(text->Text(1), when);
    EXPECT_FALSE(*text->Step());
  }
}

TEST_F(PgDbTest, RunAllReportsTheFirstErrorAndLeavesTheConnectionUsable) {
  ASSERT_TRUE(Insert(1).ok());
  auto first = db_->Prepare("SELECT v FROM t");
  auto failing = db_->Prepare("SELECT 1 / CAST(? AS BIGINT)");
  auto after = db_->Prepare("SELECT 2");
  ASSERT_TRUE(first.ok() && failing.ok() && after.ok());
  failing->Bind(1, 0);
  Status st = db_->RunAll({&*first, &*failing, &*after});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidParameterValue) << st.ToString();
  EXPECT_NE(st.message().find("division by zero"), std::string::npos) << st.ToString();
  // No statement kept rows of the failed pipeline; each runs again on its own.
  ASSERT_TRUE(*first->Step());
  EXPECT_EQ(first->Int(0), 1);
  ASSERT_TRUE(*after->Step());
  EXPECT_EQ(after->Int(0), 2);
}

TEST_F(PgDbTest, RunAllInsideATransactionSendsTheDeferredBeginWithIt) {
  ASSERT_TRUE(db_->Exec("BEGIN").ok());  // deferred
  auto a = db_->Prepare("INSERT INTO t (v) VALUES (?)");
  auto b = db_->Prepare("INSERT INTO t (v) VALUES (?)");
  ASSERT_TRUE(a.ok() && b.ok());
  a->Bind(1, 10);
  b->Bind(1, 11);
  ASSERT_TRUE(db_->RunAll({&*a, &*b}).ok());
  EXPECT_EQ(Committed(), "");  // inside the transaction the deferred BEGIN opened
  ASSERT_TRUE(db_->Exec("COMMIT").ok());
  EXPECT_EQ(Committed(), "10,11,");
}

}  // namespace
}  // namespace mlws::store::postgres
