// Helpers to build dynamic SQL with positional parameters for search queries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mlws/tracking/search_filter.h"
#include "store/sqlite/db.h"

namespace mlws::store::sqlite {

using SqlParam = std::variant<std::int64_t, double, std::string>;

struct SqlBuilder {
  std::string sql;
  std::vector<SqlParam> params;

  SqlBuilder& Add(std::string_view s) {
    sql += s;
    return *this;
  }
  // Appends "?" and records the value.
  SqlBuilder& Param(SqlParam v) {
    sql += '?';
    params.push_back(std::move(v));
    return *this;
  }
  void BindAll(Stmt& stmt) const;
};

// A statement for dynamic SQL whose text depends only on a query's shape (which clauses, how
// many list items), not on its values: prepared once per connection and reused (Db::Cached,
// keyed by the text's process-wide copy), up to kMaxSharedSqlTexts distinct texts per process;
// beyond that each call prepares its own statement, kept in `own`. The pointer is valid while
// `own` lives and until the next call with the same text on the same connection.
inline constexpr std::size_t kMaxSharedSqlTexts = 1024;
StatusOr<Stmt*> SharedStmt(Db& db, std::string_view sql, std::optional<Stmt>& own);

// The SQL comparison for a filter comparator applied to `lhs`, with its parameter(s):
// e.g. "lhs > ?", "lhs LIKE ?", "LOWER(lhs) LIKE LOWER(?)", "lhs IN (?, ?)".
void AppendComparison(SqlBuilder& b, std::string_view lhs, const tracking::Clause& c);

}  // namespace mlws::store::sqlite
