#include "store/postgres/pg_db.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <regex>

#include "store/postgres/pg_sql.h"

namespace mlws::store::postgres {
namespace {

constexpr Oid kInt8Oid = 20;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kByteaOid = 17;

// Notices (e.g. "relation already exists, skipping") are not errors; they stay off stderr.
void IgnoreNotice(void*, const char*) {}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", v);  // shortest form that reads back exactly
}

// Only plain DML is prepared on the server: a failed Parse would abort the open transaction.
bool Preparable(const std::string& sql) {
  for (const char* verb : {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}) {
    if (sql.rfind(verb, 0) == 0) return true;
  }
  return false;
}

std::string FirstWords(const std::string& sql) {
  std::string u;
  for (char c : sql.substr(0, 16)) {
    u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return u;
}

}  // namespace

Status PgStatus(const PGresult* res, PGconn* conn, std::string_view what) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  std::string code = state != nullptr ? state : "";
  if (code.empty() && conn != nullptr && PQstatus(conn) == CONNECTION_BAD) code = "08000";
  auto starts = [&](const char* p) { return code.rfind(p, 0) == 0; };
  if (starts("23")) {
    return Status(ErrorCode::kResourceAlreadyExists,
                  fmt::format("constraint violated during {}: {}", what, msg));
  }
  if (starts("08") || starts("40") || starts("53") || starts("57") || code == "55P03") {
    return Status(ErrorCode::kTemporarilyUnavailable,
                  fmt::format("database unavailable during {}: {}", what, msg));
  }
  if (starts("22") || code == "54000") {
    return InvalidArgument(fmt::format("value rejected by the database during {}: {}", what, msg));
  }
  return Internal(fmt::format("database error during {}: {} (SQLSTATE {})", what, msg, code));
}

// One statement: parameters collected by Bind*, executed at the first Step, rows read from the
// whole result (the store's queries are paged, so results stay small).
class PgStmt final : public sqlite::StmtImpl {
 public:
  PgStmt(PgDb* db, std::string sql, int nparams) : db_(db), sql_(std::move(sql)) {
    p_.values.resize(nparams);
    p_.types.assign(nparams, 0);
    p_.lengths.assign(nparams, 0);
    p_.formats.assign(nparams, 0);
    p_.is_null.assign(nparams, true);
  }
  ~PgStmt() override {
    Clear();
    if (!name_.empty() && epoch_ == db_->epoch_ && PQstatus(db_->conn_) == CONNECTION_OK) {
      PQclear(PQexec(db_->conn_, ("DEALLOCATE " + name_).c_str()));
    }
  }

  void BindInt(int i, std::int64_t v) override { Set(i, std::to_string(v), kInt8Oid, 0); }
  void BindDouble(int i, double v) override { Set(i, FormatDouble(v), kFloat8Oid, 0); }
  void BindText(int i, std::string_view v) override {
    if (v.find('\0') != std::string_view::npos) {
      error_ = InvalidArgument("text values cannot contain NUL characters on PostgreSQL");
    }
    Set(i, std::string(v), 0, 0);
  }
  void BindBlob(int i, const void* data, int size) override {
    Set(i, std::string(static_cast<const char*>(data), static_cast<size_t>(size)), kByteaOid, 1);
  }
  void BindNull(int i) override {
    if (i < 1 || i > static_cast<int>(p_.values.size())) return;
    p_.is_null[i - 1] = true;
    p_.types[i - 1] = 0;
  }

  StatusOr<bool> Step() override {
    if (!executed_) {
      RETURN_IF_ERROR(error_);
      // Reconnect first, so that BeginRun sees the new connection's epoch and this statement is
      // prepared again there rather than run by a name the new connection never heard of.
      RETURN_IF_ERROR(db_->EnsureConnected());
      BeginRun();
      ASSIGN_OR_RETURN(PGresult * res, db_->Run(sql_, name_, &prepared_types_, p_));
      Take(res);
    }
    blobs_.clear();
    if (row_ < rows_) ++row_;
    return row_ < rows_;
  }

  void Reset() override {
    Clear();
    for (size_t i = 0; i < p_.values.size(); ++i) BindNull(static_cast<int>(i + 1));
    error_ = Status::Ok();
  }

  std::int64_t Int(int col) const override {
    const char* v = Value(col);
    if (v == nullptr) return 0;
    if (v[0] == 't' && v[1] == '\0') return 1;
    if (v[0] == 'f' && v[1] == '\0') return 0;
    char* end = nullptr;
    long long n = std::strtoll(v, &end, 10);
    if (*end != '\0') return static_cast<std::int64_t>(std::strtod(v, nullptr));
    return n;
  }
  double Double(int col) const override {
    const char* v = Value(col);
    return v == nullptr ? 0.0 : std::strtod(v, nullptr);
  }
  bool IsNull(int col) const override { return Value(col) == nullptr; }
  std::string_view TextView(int col) const override {
    const char* v = Value(col);
    if (v == nullptr) return {};
    return std::string_view(v, static_cast<size_t>(PQgetlength(res_, row_, col)));
  }
  std::string_view Blob(int col) const override {
    const char* v = Value(col);
    if (v == nullptr) return {};
    auto it = blobs_.find(col);
    if (it == blobs_.end()) {
      size_t n = 0;
      unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(v), &n);
      std::string bytes = raw != nullptr ? std::string(reinterpret_cast<char*>(raw), n) : "";
      PQfreemem(raw);
      it = blobs_.emplace(col, std::move(bytes)).first;
    }
    return it->second;
  }

 private:
  void Set(int i, std::string v, Oid type, int format) {
    if (i < 1 || i > static_cast<int>(p_.values.size())) return;
    p_.lengths[i - 1] = static_cast<int>(v.size());
    p_.values[i - 1] = std::move(v);
    p_.types[i - 1] = type;
    p_.formats[i - 1] = format;
    p_.is_null[i - 1] = false;
  }
  const char* Value(int col) const {
    if (res_ == nullptr || row_ < 0 || row_ >= rows_ || col >= PQnfields(res_)) return nullptr;
    if (PQgetisnull(res_, row_, col) != 0) return nullptr;
    return PQgetvalue(res_, row_, col);
  }
  // Counts an execution and names the statement for the server once it runs a second time
  // (statements run more than once, the cached ones, are prepared there), or again after the
  // connection was re-established.
  void BeginRun() {
    ++executions_;
    if (executions_ == 2 && name_.empty() && Preparable(sql_)) {
      name_ = fmt::format("mlws_{}", db_->next_stmt_++);
      epoch_ = db_->epoch_;
    }
    if (!name_.empty() && epoch_ != db_->epoch_) {
      name_ = fmt::format("mlws_{}", db_->next_stmt_++);
      epoch_ = db_->epoch_;
      prepared_types_.clear();
    }
  }
  // The (successful) result of this execution; its rows are read by Step.
  void Take(PGresult* res) {
    res_ = res;
    executed_ = true;
    row_ = -1;
    rows_ = PQresultStatus(res_) == PGRES_TUPLES_OK ? PQntuples(res_) : 0;
  }
  void Clear() {
    if (res_ != nullptr) PQclear(res_);
    res_ = nullptr;
    executed_ = false;
    rows_ = 0;
    row_ = -1;
    blobs_.clear();
  }

  PgDb* db_;
  std::string sql_;
  PgDb::Params p_;
  Status error_ = Status::Ok();
  std::string name_;  // server-side prepared statement, once run twice
  std::uint64_t epoch_ = 0;
  std::vector<Oid> prepared_types_;
  int executions_ = 0;
  PGresult* res_ = nullptr;
  bool executed_ = false;
  int rows_ = 0;
  int row_ = -1;
  mutable std::map<int, std::string> blobs_;

  friend class PgDb;
};

namespace {

// libpq's messages may quote the URI: every copy of it, and of its password, is masked.
std::string Scrub(std::string msg, const std::string& uri) {
  auto replace_all = [&](const std::string& from, const std::string& to) {
    if (from.empty()) return;
    for (size_t at = msg.find(from); at != std::string::npos; at = msg.find(from, at + to.size())) {
      msg.replace(at, from.size(), to);
    }
  };
  replace_all(uri, MaskPassword(uri));
  PQconninfoOption* opts = PQconninfoParse(uri.c_str(), nullptr);
  for (PQconninfoOption* o = opts; o != nullptr && o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr) replace_all(o->val, "***");
  }
  PQconninfoFree(opts);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

}  // namespace

StatusOr<std::unique_ptr<PgDb>> PgDb::Connect(const std::string& uri, bool readonly,
                                              int connect_timeout_s) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(uri.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string why = parse_error != nullptr ? parse_error : "out of memory";
    PQfreemem(parse_error);
    return InvalidArgument(
        fmt::format("invalid PostgreSQL URI {}: {}", MaskPassword(uri), Scrub(why, uri)));
  }
  PQconninfoFree(parsed);
  const char* keys[] = {"dbname", "connect_timeout", "application_name", "client_encoding",
                        nullptr};
  std::string timeout = std::to_string(connect_timeout_s);
  // expand_dbname=1: the URI's own settings override these defaults.
  const char* values[] = {uri.c_str(), timeout.c_str(), "mlws", "UTF8", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Internal("out of memory connecting to PostgreSQL");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = Scrub(PQerrorMessage(conn), uri);
    PQfinish(conn);
    return Status(ErrorCode::kTemporarilyUnavailable,
                  fmt::format("cannot connect to {}: {}", MaskPassword(uri), msg));
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  std::unique_ptr<PgDb> db(new PgDb(conn));
  RETURN_IF_ERROR(db->Exec(
      "SET client_min_messages = warning; SET synchronous_commit = on; SET TIME ZONE 'UTC'"));
  if (readonly) RETURN_IF_ERROR(db->Exec("SET default_transaction_read_only = on"));
  // Metric chunks (~2.4 KB for 100 points) are compressed when stored: lz4 costs a fraction of
  // pglz's CPU, which was a quarter of the server's under log-batch load. Values keep their own
  // method, so either reads back; a server built without lz4 keeps pglz.
  if (!readonly) (void)db->Exec("SET default_toast_compression = lz4");
  return db;
}

PgDb::~PgDb() {
  ClearCache();
  PQfinish(conn_);
}

Status PgDb::EnsureConnected() {
  if (txn_lost_) {
    return Status(ErrorCode::kTemporarilyUnavailable,
                  "the connection to PostgreSQL was lost inside this transaction");
  }
  if (PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
  if (in_txn_) {
    // The open transaction is gone with the connection: nothing of it may be acknowledged.
    // (Deferred statements alone were never sent: they run on the new connection.)
    txn_lost_ = true;
    in_txn_ = false;
    deferred_.clear();
    return PgStatus(nullptr, conn_, "a transaction on a lost connection");
  }
  PQreset(conn_);
  ++epoch_;
  if (PQstatus(conn_) != CONNECTION_OK) return PgStatus(nullptr, conn_, "reconnect");
  return Status::Ok();
}

bool PgDb::Defer(const std::string& sql) {
  if (sql.find(';') != std::string::npos) return false;
  std::string u = FirstWords(sql);
  bool deferrable = u == "BEGIN" || u.rfind("BEGIN ", 0) == 0 || u.rfind("SAVEPOINT ", 0) == 0 ||
                    u.rfind("RELEASE ", 0) == 0;
  if (deferrable) deferred_.push_back(sql);
  return deferrable;
}

StatusOr<std::vector<PGresult*>> PgDb::PipelineAll(const std::vector<std::function<int()>>& sends,
                                                   std::string_view what) {
  std::vector<std::string> queued;
  queued.swap(deferred_);
  if (PQenterPipelineMode(conn_) != 1) return PgStatus(nullptr, conn_, what);
  bool sent = true;
  for (const auto& q : queued) {
    sent =
        sent && PQsendQueryParams(conn_, q.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  }
  for (const auto& send : sends) sent = sent && send() == 1;
  if (sent) sent = PQpipelineSync(conn_) == 1;
  if (!sent) {
    // Only a broken connection fails to queue: the transaction is lost with it.
    Status st = PgStatus(nullptr, conn_, what);
    txn_lost_ = true;
    in_txn_ = false;
    PQreset(conn_);
    ++epoch_;
    return st;
  }
  Status first_error = Status::Ok();
  std::vector<PGresult*> results;
  const size_t n = queued.size() + sends.size();
  for (size_t i = 0; i < n; ++i) {
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) {
      if (first_error.ok()) first_error = PgStatus(nullptr, conn_, what);
      if (i >= queued.size()) results.push_back(nullptr);
      continue;
    }
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);  // up to the query's end
    if (i >= queued.size()) {
      results.push_back(r);  // the caller's queries: checked by the caller
      continue;
    }
    if (PQresultStatus(r) != PGRES_COMMAND_OK && first_error.ok()) {
      first_error = PgStatus(r, conn_, what);
    }
    PQclear(r);
  }
  PGresult* sync = PQgetResult(conn_);  // PGRES_PIPELINE_SYNC
  if (sync != nullptr) PQclear(sync);
  PQexitPipelineMode(conn_);
  if (!first_error.ok()) {
    for (PGresult* r : results) {
      if (r != nullptr) PQclear(r);
    }
    return first_error;
  }
  return results;  // no null among them: a missing result set first_error
}

StatusOr<PGresult*> PgDb::Pipelined(const std::function<int()>& send, std::string_view what) {
  std::vector<std::function<int()>> sends;
  if (send) sends.push_back(send);
  ASSIGN_OR_RETURN(std::vector<PGresult*> results, PipelineAll(sends, what));
  return results.empty() ? PQmakeEmptyPGresult(conn_, PGRES_COMMAND_OK) : results[0];
}

Status PgDb::FlushDeferred() {
  if (deferred_.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(PGresult * raw, Pipelined(nullptr, "a deferred statement"));
  ASSIGN_OR_RETURN(PGresult * res, Checked(raw, "exec"));
  PQclear(res);
  return Status::Ok();
}

Status PgDb::Exec(std::string_view sql) {
  std::string s = RewriteUtility(sql);
  if (s.empty()) return Status::Ok();
  std::string verb = FirstWords(s);
  bool commit = verb.rfind("COMMIT", 0) == 0 || verb.rfind("END", 0) == 0;
  bool rollback = (verb.rfind("ROLLBACK", 0) == 0 && verb.rfind("ROLLBACK TO", 0) != 0) ||
                  verb.rfind("ABORT", 0) == 0;
  if (txn_lost_ && (commit || rollback)) {
    txn_lost_ = false;  // the transaction is over: the next statement may reconnect
    deferred_.clear();
    if (commit) {
      return Status(ErrorCode::kTemporarilyUnavailable,
                    "the connection to PostgreSQL was lost: the transaction was not committed");
    }
    return Status::Ok();
  }
  RETURN_IF_ERROR(EnsureConnected());
  if (Defer(s)) return Status::Ok();
  PGresult* raw = nullptr;
  if (!deferred_.empty() && s.find(';') == std::string::npos) {
    auto send = [&] {
      return PQsendQueryParams(conn_, s.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
    };
    ASSIGN_OR_RETURN(raw, Pipelined(send, "exec"));
  } else {
    RETURN_IF_ERROR(FlushDeferred());
    raw = PQexec(conn_, s.c_str());
  }
  ASSIGN_OR_RETURN(PGresult * res, Checked(raw, "exec"));
  // A COMMIT of a failed transaction "succeeds" as ROLLBACK: that is no commit.
  bool rolled_back = commit && std::strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
  PQclear(res);
  if (rolled_back) {
    return Internal("the transaction had failed and was rolled back instead of committed");
  }
  return Status::Ok();
}

StatusOr<PGresult*> PgDb::Checked(PGresult* res, std::string_view what) {
  if (res == nullptr) return PgStatus(nullptr, conn_, what);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
    Status out = PgStatus(res, conn_, what);
    PQclear(res);
    return out;
  }
  changes_ = std::atoi(PQcmdTuples(res));
  PGTransactionStatusType t = PQtransactionStatus(conn_);
  in_txn_ = t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
  return res;
}

StatusOr<std::vector<std::string>> PgDb::PrimaryKey(const std::string& table) {
  auto it = primary_keys_.find(table);
  if (it != primary_keys_.end()) return it->second;
  const char* sql =
      "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND "
      "a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass($1) AND i.indisprimary "
      "ORDER BY array_position(i.indkey, a.attnum)";
  const char* values[] = {table.c_str()};
  PGresult* res = PQexecParams(conn_, sql, 1, nullptr, values, nullptr, nullptr, 0);
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    Status st = PgStatus(res, conn_, "primary key of " + table);
    PQclear(res);
    return st;
  }
  std::vector<std::string> key;
  for (int r = 0; r < PQntuples(res); ++r) key.emplace_back(PQgetvalue(res, r, 0));
  PQclear(res);
  primary_keys_[table] = key;
  return key;
}

StatusOr<std::string> PgDb::Rewrite(std::string_view sql, int* params) {
  std::string s = RewriteUtility(sql);
  InsertOr io = ParseInsertOr(s);
  if (!io.table.empty()) {
    std::vector<std::string> key;
    if (io.replace) {
      ASSIGN_OR_RETURN(key, PrimaryKey(io.table));
    }
    s = RewriteInsertOr(s, key);
  }
  return RewritePlaceholders(s, params);
}

StatusOr<Stmt> PgDb::Prepare(std::string_view sql) {
  RETURN_IF_ERROR(EnsureConnected());
  int params = 0;
  ASSIGN_OR_RETURN(std::string s, Rewrite(sql, &params));
  return Stmt(std::make_unique<PgStmt>(this, std::move(s), params));
}

std::vector<const char*> PgDb::Values(const Params& p) {
  std::vector<const char*> values(p.values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = p.is_null[i] ? nullptr : p.values[i].c_str();
  }
  return values;
}

bool PgDb::TypesMatch(const std::vector<Oid>& prepared_types, const Params& p) {
  // A parameter prepared with a type (not inferred) must be bound with that type again.
  for (size_t i = 0; i < p.values.size() && i < prepared_types.size(); ++i) {
    Oid was = prepared_types[i];
    if (!p.is_null[i] && was != 0 && p.types[i] != 0 && p.types[i] != was) return false;
  }
  return true;
}

StatusOr<PGresult*> PgDb::Run(const std::string& sql, const std::string& prepared_name,
                              std::vector<Oid>* prepared_types, const Params& p) {
  RETURN_IF_ERROR(EnsureConnected());
  int n = static_cast<int>(p.values.size());
  if (n == 0 && prepared_name.empty() && Defer(sql)) {
    return Checked(PQmakeEmptyPGresult(conn_, PGRES_COMMAND_OK), "statement");
  }
  std::vector<const char*> values = Values(p);
  PGresult* res = nullptr;
  bool use_prepared = !prepared_name.empty() && !sql.empty();
  if (use_prepared && prepared_types->empty()) {
    RETURN_IF_ERROR(FlushDeferred());  // a failed Parse must not hide a deferred one's error
    PGresult* prep = PQprepare(conn_, prepared_name.c_str(), sql.c_str(), n, p.types.data());
    bool ok = PQresultStatus(prep) == PGRES_COMMAND_OK;
    PQclear(prep);
    if (ok) {
      *prepared_types = p.types;
      prepared_types->push_back(1);  // marks "prepared" even for statements without parameters
    } else {
      use_prepared = false;  // e.g. a utility statement: run it unnamed
    }
  }
  if (use_prepared && !TypesMatch(*prepared_types, p)) use_prepared = false;
  bool prepared = use_prepared && !prepared_types->empty();
  auto send = [&] {
    return prepared ? PQsendQueryPrepared(conn_, prepared_name.c_str(), n, values.data(),
                                          p.lengths.data(), p.formats.data(), 0)
                    : PQsendQueryParams(conn_, sql.c_str(), n, p.types.data(), values.data(),
                                        p.lengths.data(), p.formats.data(), 0);
  };
  if (!deferred_.empty()) {
    ASSIGN_OR_RETURN(res, Pipelined(send, "statement"));
  } else if (prepared) {
    res = PQexecPrepared(conn_, prepared_name.c_str(), n, values.data(), p.lengths.data(),
                         p.formats.data(), 0);
  } else {
    res = PQexecParams(conn_, sql.c_str(), n, p.types.data(), values.data(), p.lengths.data(),
                       p.formats.data(), 0);
  }
  return Checked(res, "statement");
}

Status PgDb::RunAll(const std::vector<Stmt*>& stmts) {
  std::vector<PgStmt*> todo;
  for (Stmt* s : stmts) {
    auto* p = dynamic_cast<PgStmt*>(s->impl());
    if (p == nullptr || p->db_ != this) {
      return Internal("RunAll was given a statement of another connection");
    }
    if (!p->executed_) todo.push_back(p);
  }
  if (todo.size() < 2) return Status::Ok();  // a lone statement runs at its Step as usual
  RETURN_IF_ERROR(EnsureConnected());
  for (PgStmt* p : todo) RETURN_IF_ERROR(p->error_);
  // Each statement is sent by its prepared name when it has one; one named but not prepared
  // yet is parsed in the same pipeline, just before it runs (the store's pipelined statements
  // are all plain DML, which parses).
  struct Out {
    PgStmt* stmt;
    std::vector<const char*> values;
    bool parse = false;
    bool by_name = false;
  };
  std::vector<Out> outs;
  outs.reserve(todo.size());
  for (PgStmt* p : todo) {
    p->BeginRun();
    Out o{p, Values(p->p_)};
    o.parse = !p->name_.empty() && p->prepared_types_.empty();
    o.by_name = !p->name_.empty() && (o.parse || TypesMatch(p->prepared_types_, p->p_));
    outs.push_back(std::move(o));
  }
  std::vector<std::function<int()>> sends;
  for (const Out& o : outs) {
    const PgStmt& p = *o.stmt;
    int n = static_cast<int>(p.p_.values.size());
    if (o.parse) {
      sends.emplace_back([this, &p, n] {
        return PQsendPrepare(conn_, p.name_.c_str(), p.sql_.c_str(), n, p.p_.types.data());
      });
    }
    sends.emplace_back([this, &o, &p, n] {
      return o.by_name
                 ? PQsendQueryPrepared(conn_, p.name_.c_str(), n, o.values.data(),
                                       p.p_.lengths.data(), p.p_.formats.data(), 0)
                 : PQsendQueryParams(conn_, p.sql_.c_str(), n, p.p_.types.data(), o.values.data(),
                                     p.p_.lengths.data(), p.p_.formats.data(), 0);
    });
  }
  ASSIGN_OR_RETURN(std::vector<PGresult*> results, PipelineAll(sends, "statements"));
  // Every result is checked in order, so the first failure is the one reported (those after
  // it were aborted by the server); no statement keeps rows after a failure.
  Status first = Status::Ok();
  size_t at = 0;
  for (Out& o : outs) {
    if (o.parse) {
      PGresult* prep = results[at++];
      if (first.ok() && PQresultStatus(prep) != PGRES_COMMAND_OK) {
        first = PgStatus(prep, conn_, "prepare");
      }
      PQclear(prep);
      if (first.ok()) {
        o.stmt->prepared_types_ = o.stmt->p_.types;
        o.stmt->prepared_types_.push_back(1);
      }
    }
    PGresult* res = results[at++];
    if (!first.ok()) {
      PQclear(res);
      continue;
    }
    StatusOr<PGresult*> checked = Checked(res, "statement");
    if (!checked.ok()) {
      first = checked.status();
      continue;
    }
    o.stmt->Take(*checked);
  }
  if (!first.ok()) {
    for (PgStmt* p : todo) p->Clear();
  }
  return first;
}

std::int64_t PgDb::LastInsertRowid() const {
  PGresult* res = PQexec(conn_, "SELECT lastval()");
  std::int64_t id = 0;
  if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
    id = std::strtoll(PQgetvalue(res, 0, 0), nullptr, 10);
  }
  PQclear(res);
  return id;
}

}  // namespace mlws::store::postgres
