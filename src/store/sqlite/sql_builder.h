// Helpers to build dynamic SQL with positional parameters for search queries.
#pragma once

#include <cstdint>
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

// The SQL comparison for a filter comparator applied to `lhs`, with its parameter(s):
// e.g. "lhs > ?", "lhs LIKE ?", "LOWER(lhs) LIKE LOWER(?)", "lhs IN (?, ?)".
void AppendComparison(SqlBuilder& b, std::string_view lhs, const tracking::Clause& c);

}  // namespace mlws::store::sqlite
