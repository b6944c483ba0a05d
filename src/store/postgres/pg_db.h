// PgDb: a PostgreSQL connection (libpq) behind the backend-neutral Db/Stmt API (sqlite/db.h).
//
// Statements are rewritten once when prepared (pg_sql.h); cached statements are prepared on the
// server at their first execution. Values are sent as text (integers, doubles, strings; the server
// types them from context as SQLite literals would be) or binary (blobs, as BYTEA), and results are
// read as text. PgStatus() is the one function that translates SQLSTATEs into Status.
//
// Round trips: BEGIN, SAVEPOINT and RELEASE (without parameters) are not sent on their own but
// deferred and pipelined (libpq pipeline mode) with the next statement that needs a reply, so the
// write queue's per-write savepoints and its group's BEGIN/COMMIT cost no round trip of their own.
// A deferred statement's error is reported by that next statement (COMMIT at the latest); a
// COMMIT the server turned into a ROLLBACK (the transaction had failed) is an error. RunAll
// sends several statements in one pipeline (a search page's loading queries: one round trip
// instead of five), parsing a statement under its prepared name in the same pipeline when needed.
//
// Like every Db, a PgDb is used by one thread at a time. A broken connection is re-established
// at the next statement outside a transaction; inside one, every statement fails until the
// transaction is ended (COMMIT reports the loss, ROLLBACK clears it), so no write of a lost
// transaction is acknowledged.
#pragma once

#include <libpq-fe.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "store/sqlite/db.h"

namespace mlws::store::postgres {

using sqlite::Db;
using sqlite::Dialect;
using sqlite::Stmt;

// Translates a failed result (or, with res == nullptr, the connection's error) into Status.
Status PgStatus(const PGresult* res, PGconn* conn, std::string_view what);

class PgDb final : public Db {
 public:
  // Connects within `connect_timeout_s` (unless the URI sets connect_timeout itself). A read-only
  // connection refuses writes (default_transaction_read_only).
  static StatusOr<std::unique_ptr<PgDb>> Connect(const std::string& uri, bool readonly,
                                                 int connect_timeout_s = 10);
  ~PgDb() override;

  Dialect dialect() const override { return Dialect::kPostgres; }
  Status Exec(std::string_view sql) override;
  StatusOr<Stmt> Prepare(std::string_view sql) override;
  std::int64_t LastInsertRowid() const override;
  int Changes() const override { return changes_; }
  // The statements go out in one pipeline (with any deferred BEGIN/SAVEPOINT before them).
  Status RunAll(const std::vector<Stmt*>& stmts) override;

  // Internal to PgStmt: runs one statement with its parameters.
  struct Params {
    std::vector<std::string> values;
    std::vector<Oid> types;
    std::vector<int> lengths;
    std::vector<int> formats;
    std::vector<bool> is_null;
  };
  StatusOr<PGresult*> Run(const std::string& sql, const std::string& prepared_name,
                          std::vector<Oid>* prepared_types, const Params& p);

 private:
  explicit PgDb(PGconn* conn) : conn_(conn) {}
  // The rewritten form of one statement of the store's SQL.
  StatusOr<std::string> Rewrite(std::string_view sql, int* params);
  StatusOr<std::vector<std::string>> PrimaryKey(const std::string& table);
  Status EnsureConnected();
  // `res` when it succeeded (and Changes() updated); otherwise it is freed and its error returned.
  StatusOr<PGresult*> Checked(PGresult* res, std::string_view what);
  // True when `sql` (without parameters) is deferred rather than sent now.
  bool Defer(const std::string& sql);
  // Sends the deferred statements, then the queries `sends` queue (one each), in one pipeline;
  // returns the queries' results in order (for the caller to check), or the first error of a
  // deferred statement.
  StatusOr<std::vector<PGresult*>> PipelineAll(const std::vector<std::function<int()>>& sends,
                                               std::string_view what);
  // PipelineAll of the one query `send` queues (when given): its result, or an empty success.
  StatusOr<PGresult*> Pipelined(const std::function<int()>& send, std::string_view what);
  // The parameter values as libpq takes them (NULL for a null).
  static std::vector<const char*> Values(const Params& p);
  // Whether `p` binds each parameter with the type it was prepared with.
  static bool TypesMatch(const std::vector<Oid>& prepared_types, const Params& p);
  Status FlushDeferred();

  PGconn* conn_;
  int changes_ = 0;
  int next_stmt_ = 0;
  std::uint64_t epoch_ = 0;  // bumps when the connection is re-established (prepared ones lost)
  std::map<std::string, std::vector<std::string>> primary_keys_;
  std::vector<std::string> deferred_;  // BEGIN / SAVEPOINT / RELEASE not sent yet
  bool in_txn_ = false;                // a transaction was open at the last reply
  bool txn_lost_ = false;              // the connection broke inside it

  friend class PgStmt;
};

}  // namespace mlws::store::postgres
