#include "store/sqlite/db.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/sqlite/env_vfs.h"

namespace mlws::store::sqlite {

Status SqliteStatus(int rc, sqlite3* db, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return Status(ErrorCode::kTemporarilyUnavailable,
                  fmt::format("database busy during {}: {}", what, msg));
  }
  if (primary == SQLITE_CONSTRAINT) {
    return Status(ErrorCode::kResourceAlreadyExists,
                  fmt::format("constraint violated during {}: {}", what, msg));
  }
  if (primary == SQLITE_FULL) {
    // ENOSPC (or the Env's full disk): worth a retry once space is freed; nothing was committed.
    return Status(ErrorCode::kTemporarilyUnavailable,
                  fmt::format("database write failed during {}: no space left on device "
                              "(nothing was stored): {}",
                              what, msg));
  }
  if (primary == SQLITE_TOOBIG) {
    return InvalidArgument(fmt::format("value too large during {}: {}", what, msg));
  }
  return Internal(fmt::format("database error during {}: {} (code {})", what, msg, rc));
}

Status Stmt::Run() {
  for (;;) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

StatusOr<Stmt*> Db::Cached(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    ASSIGN_OR_RETURN(Stmt s, Prepare(sql));
    it = cache_.emplace(sql, std::make_unique<Stmt>(std::move(s))).first;
  } else {
    it->second->Reset();
  }
  return it->second.get();
}

void Db::ResetAll() {
  for (auto& [sql, stmt] : cache_) stmt->Reset();
}

std::optional<std::int64_t> Db::KnownId(const std::string& key) const {
  auto it = known_ids_.find(key);
  if (it == known_ids_.end()) return std::nullopt;
  return it->second;
}

void Db::RememberId(const std::string& key, std::int64_t id) {
  if (known_ids_.size() >= kMaxKnownIds) known_ids_.clear();
  known_ids_[key] = id;
}

namespace {

class SqliteStmt final : public StmtImpl {
 public:
  SqliteStmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStmt() override { sqlite3_finalize(stmt_); }

  void BindInt(int i, std::int64_t v) override { sqlite3_bind_int64(stmt_, i, v); }
  void BindDouble(int i, double v) override { sqlite3_bind_double(stmt_, i, v); }
  void BindText(int i, std::string_view v) override {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int i, const void* data, int size) override {
    sqlite3_bind_blob(stmt_, i, data, size, SQLITE_TRANSIENT);
  }
  void BindNull(int i) override { sqlite3_bind_null(stmt_, i); }

  StatusOr<bool> Step() override {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteStatus(rc, db_, "step");
  }
  void Reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::int64_t Int(int col) const override { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const override { return sqlite3_column_double(stmt_, col); }
  bool IsNull(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string_view TextView(int col) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    if (p == nullptr) return {};
    return std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::string_view Blob(int col) const override {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    if (p == nullptr) return {};
    return std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteDb final : public Db {
 public:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  ~SqliteDb() override {
    ClearCache();
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  Status Exec(std::string_view sql) override {
    std::string s(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "";
      sqlite3_free(err);
      return SqliteStatus(rc, db_, "exec: " + msg);
    }
    return Status::Ok();
  }

  StatusOr<Stmt> Prepare(std::string_view sql) override {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "prepare");
    return Stmt(std::make_unique<SqliteStmt>(db_, stmt));
  }

  std::int64_t LastInsertRowid() const override { return sqlite3_last_insert_rowid(db_); }
  int Changes() const override { return sqlite3_changes(db_); }

 private:
  sqlite3* db_;
};

}  // namespace

StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& path, bool readonly, Env* env) {
  ASSIGN_OR_RETURN(std::string vfs, EnvVfsName(env));
  if (!readonly && !path.empty() && path[0] != ':' && path.rfind("file:", 0) != 0) {
    // The database is the server's alone: created 0600 (SQLite gives its -wal and -shm files the
    // database's mode), and an older 0644 one is tightened.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::fchmod(fd, 0600);
      ::close(fd);
    }
    for (const char* suffix : {"-wal", "-shm"}) ::chmod((path + suffix).c_str(), 0600);
  }
  sqlite3* raw = nullptr;
  int flags = (readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) |
              SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    Status st = SqliteStatus(rc, raw, "open " + path);
    sqlite3_close(raw);
    return st;
  }
  std::unique_ptr<Db> db(new SqliteDb(raw));
  sqlite3_busy_timeout(raw, 10000);
  sqlite3_extended_result_codes(raw, 1);
  // WAL: readers never block the writer. synchronous=FULL: every commit fsyncs the WAL, so an
  // acknowledged write survives a crash of the process or of the machine.
  // Memory-mapped reads avoid a read() copy per page; the page cache is sized for the writer's
  // working set (profiling showed the writer re-reading pages with the 2 MB default).
  // case_sensitive_like: MLflow's LIKE is case-sensitive (ILIKE is not), as on PostgreSQL.
  RETURN_IF_ERROR(
      db->Exec("PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
               "PRAGMA mmap_size=1073741824; PRAGMA case_sensitive_like=ON;"));
  RETURN_IF_ERROR(db->Exec(readonly ? "PRAGMA cache_size=-8192" : "PRAGMA cache_size=-65536"));
  if (!readonly) {
    RETURN_IF_ERROR(
        db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "PRAGMA wal_autocheckpoint=4000;"));
  }
  return db;
}

}  // namespace mlws::store::sqlite
