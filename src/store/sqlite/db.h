// Db and Stmt: the backend-neutral SQL connection API every store file is written against.
//
// One Db is one connection: SQLite (Db::Open, this file's db.cc) or PostgreSQL
// (store/postgres/pg_db.h). The store's SQL is shared and written in SQLite's dialect with
// portable constructs (`?` placeholders, `ON CONFLICT ... DO UPDATE SET x = excluded.x`,
// `INSERT OR REPLACE`/`OR IGNORE`, explicit `rowid` columns); the PostgreSQL connection rewrites
// the few spellings that differ once per statement (see pg_sql.h). Code that must differ anyway
// branches on dialect().
//
// A Db is used by one thread at a time (the caller guarantees it: the writer thread owns the write
// connection; readers borrow connections from a pool). Each backend translates its own error codes
// into Status in exactly one function (SqliteStatus, PgStatus).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mlws/common/env.h"
#include "mlws/common/status.h"

namespace mlws::store::sqlite {

enum class Dialect { kSqlite, kPostgres };

Status SqliteStatus(int rc, sqlite3* db, std::string_view what);

// One backend's prepared statement. Binds are 1-based; columns 0-based.
class StmtImpl {
 public:
  virtual ~StmtImpl() = default;
  virtual void BindInt(int i, std::int64_t v) = 0;
  virtual void BindDouble(int i, double v) = 0;
  virtual void BindText(int i, std::string_view v) = 0;
  virtual void BindBlob(int i, const void* data, int size) = 0;
  virtual void BindNull(int i) = 0;
  virtual StatusOr<bool> Step() = 0;
  virtual void Reset() = 0;
  virtual std::int64_t Int(int col) const = 0;
  virtual double Double(int col) const = 0;
  virtual bool IsNull(int col) const = 0;
  virtual std::string_view TextView(int col) const = 0;
  virtual std::string_view Blob(int col) const = 0;
};

class Stmt {
 public:
  Stmt() = default;
  explicit Stmt(std::unique_ptr<StmtImpl> impl) : impl_(std::move(impl)) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept = default;
  Stmt& operator=(Stmt&& o) noexcept = default;
  ~Stmt() = default;

  // Binds are 1-based like SQLite's. Each returns *this for chaining.
  Stmt& Bind(int i, std::int64_t v) { return impl_->BindInt(i, v), *this; }
  Stmt& Bind(int i, int v) { return Bind(i, static_cast<std::int64_t>(v)); }
  Stmt& Bind(int i, double v) { return impl_->BindDouble(i, v), *this; }
  Stmt& Bind(int i, std::string_view v) { return impl_->BindText(i, v), *this; }
  Stmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Stmt& BindBlob(int i, const void* data, int size) {
    return impl_->BindBlob(i, data, size), *this;
  }
  Stmt& BindNull(int i) { return impl_->BindNull(i), *this; }
  // Binds the value, or NULL when empty.
  Stmt& Bind(int i, std::optional<std::int64_t> v) { return v ? Bind(i, *v) : BindNull(i); }

  // Steps once: true = a row is available, false = done. Errors come back as Status.
  StatusOr<bool> Step() { return impl_->Step(); }
  // Steps to completion (for statements without rows).
  Status Run();
  void Reset() { impl_->Reset(); }

  std::int64_t Int(int col) const { return impl_->Int(col); }
  double Double(int col) const { return impl_->Double(col); }
  bool IsNull(int col) const { return impl_->IsNull(col); }
  std::string Text(int col) const { return std::string(TextView(col)); }
  std::string_view TextView(int col) const { return impl_->TextView(col); }
  std::string_view Blob(int col) const { return impl_->Blob(col); }
  // The backend's statement (for its own Db's RunAll).
  StmtImpl* impl() const { return impl_.get(); }

 private:
  std::unique_ptr<StmtImpl> impl_;
};

class Db {
 public:
  // Opens a SQLite connection (WAL, synchronous=FULL, foreign keys on). Its file I/O goes through
  // `env` (env_vfs.h; nullptr = the operating system's, no shim).
  static StatusOr<std::unique_ptr<Db>> Open(const std::string& path, bool readonly,
                                            Env* env = nullptr);
  virtual ~Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  virtual Dialect dialect() const = 0;
  virtual Status Exec(std::string_view sql) = 0;
  // A fresh statement (for dynamic SQL).
  virtual StatusOr<Stmt> Prepare(std::string_view sql) = 0;
  // A cached statement for static SQL: prepared once per connection, reset on every call.
  // The returned reference is valid until the next Cached() call with the same SQL.
  StatusOr<Stmt*> Cached(const char* sql);
  // Resets every cached statement, ending any read transaction they hold open.
  void ResetAll();
  // The rowid (identity) the last INSERT on this connection generated.
  virtual std::int64_t LastInsertRowid() const = 0;
  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  virtual int Changes() const = 0;

  // Runs several independent statements of this connection, each bound and not stepped since
  // its last Reset, so that their rows are then read with Step() as usual: for a page's loading
  // queries. PostgreSQL sends them in one pipeline, one round trip for all instead of one each;
  // SQLite (this default) runs each at its first Step, as always. On PostgreSQL the first error
  // of any comes back here, and no statement holds rows then.
  virtual Status RunAll(const std::vector<Stmt*>& stmts) {
    (void)stmts;
    return Status::Ok();
  }

  // A per-connection memo of ids that never change once they exist (a metric key's id, an
  // experiment's rowid), so a lookup the search repeats costs no query after the first.
  // `key` names the id (its caller's spelling); only ids that exist may be remembered. Bounded:
  // the memo starts over once it holds kMaxKnownIds.
  std::optional<std::int64_t> KnownId(const std::string& key) const;
  void RememberId(const std::string& key, std::int64_t id);

 protected:
  Db() = default;
  // Drops the statement cache (before the connection it belongs to closes).
  void ClearCache() { cache_.clear(); }

 private:
  std::unordered_map<const char*, std::unique_ptr<Stmt>> cache_;
  static constexpr std::size_t kMaxKnownIds = 4096;
  std::unordered_map<std::string, std::int64_t> known_ids_;
};

}  // namespace mlws::store::sqlite
