// Thin RAII wrapper over one sqlite3 connection and its prepared statements.
//
// A Db is used by one thread at a time (the caller guarantees it: the writer thread owns the write
// connection; readers borrow connections from a pool). SqliteStatus() is the one function that
// translates SQLite result codes into Status.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mlws/common/status.h"

namespace mlws::store::sqlite {

Status SqliteStatus(int rc, sqlite3* db, std::string_view what);

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  ~Stmt();

  // Binds are 1-based like SQLite's. Each returns *this for chaining.
  Stmt& Bind(int i, std::int64_t v);
  Stmt& Bind(int i, int v) { return Bind(i, static_cast<std::int64_t>(v)); }
  Stmt& Bind(int i, double v);
  Stmt& Bind(int i, std::string_view v);
  Stmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Stmt& BindBlob(int i, const void* data, int size);
  Stmt& BindNull(int i);
  // Binds the value, or NULL when empty.
  Stmt& Bind(int i, std::optional<std::int64_t> v) { return v ? Bind(i, *v) : BindNull(i); }

  // Steps once: true = a row is available, false = done. Errors come back as Status.
  StatusOr<bool> Step();
  // Steps to completion (for statements without rows).
  Status Run();
  void Reset();

  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string Text(int col) const;
  std::string_view TextView(int col) const;
  std::string_view Blob(int col) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Db {
 public:
  static StatusOr<std::unique_ptr<Db>> Open(const std::string& path, bool readonly);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  Status Exec(std::string_view sql);
  // A fresh statement (for dynamic SQL).
  StatusOr<Stmt> Prepare(std::string_view sql);
  // A cached statement for static SQL: prepared once per connection, reset on every call.
  // The returned reference is valid until the next Cached() call with the same SQL.
  StatusOr<Stmt*> Cached(const char* sql);
  // Resets every cached statement, ending any read transaction they hold open.
  void ResetAll();
  std::int64_t LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  sqlite3* raw() { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, std::unique_ptr<Stmt>> cache_;
};

}  // namespace mlws::store::sqlite
