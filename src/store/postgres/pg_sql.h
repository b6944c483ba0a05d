// The SQL spellings that differ between the store's shared SQL (SQLite dialect) and PostgreSQL,
// rewritten in this one place. Pure functions: no connection needed, unit-tested directly.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlws::store::postgres {

// `?` and `?N` placeholders become `$N` (SQLite's numbering: a bare `?` takes the largest number
// used so far plus one). String literals, quoted identifiers and comments are left alone.
// `count` receives the number of parameters.
std::string RewritePlaceholders(std::string_view sql, int* count);

// The table an `INSERT OR REPLACE INTO t` / `INSERT OR IGNORE INTO t` names, and which form it is;
// an empty table when the statement is neither.
struct InsertOr {
  std::string table;
  bool replace = false;
};
InsertOr ParseInsertOr(std::string_view sql);

// `INSERT OR IGNORE INTO t ...` -> `INSERT INTO t ... ON CONFLICT DO NOTHING`;
// `INSERT OR REPLACE INTO t (cols) ...` -> `INSERT INTO t (cols) ... ON CONFLICT (key) DO UPDATE
// SET c = excluded.c` for every listed column outside `key` (DO NOTHING when none remain).
// `key` is the table's primary key (SQLite replaces on any unique key; every store table is
// written by its primary key). Other statements come back unchanged.
std::string RewriteInsertOr(std::string_view sql, const std::vector<std::string>& key);

// Statement-level spellings: `BEGIN IMMEDIATE` -> `BEGIN`; `PRAGMA ...` -> empty (nothing to run).
std::string RewriteUtility(std::string_view sql);

// One migration written for SQLite as PostgreSQL DDL: INTEGER -> BIGINT (INTEGER PRIMARY KEY ->
// an identity column), REAL -> DOUBLE PRECISION, BLOB -> BYTEA, TEXT -> TEXT COLLATE "C" (byte
// order, as SQLite compares), no WITHOUT ROWID, and SQLite's RAISE(ABORT) triggers as PL/pgSQL
// trigger functions raising an integrity-constraint error.
std::string TranslateDdl(std::string_view sqlite_ddl);

// The URI with its password (userinfo or `password=` parameter) replaced by "***": the only form
// of a backend URI that may appear in logs and errors.
std::string MaskPassword(const std::string& uri);

}  // namespace mlws::store::postgres
