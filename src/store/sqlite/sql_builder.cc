#include "store/sqlite/sql_builder.h"

#include <mutex>
#include <set>
#include <string>

namespace mlws::store::sqlite {

using tracking::Comparator;

void SqlBuilder::BindAll(Stmt& stmt) const {
  int i = 1;
  for (const auto& p : params) {
    std::visit([&](const auto& v) { stmt.Bind(i, v); }, p);
    ++i;
  }
}

StatusOr<Stmt*> SharedStmt(Db& db, std::string_view sql, std::optional<Stmt>& own) {
  static std::mutex mu;
  static std::set<std::string, std::less<>> texts;  // node-based: the strings never move
  const char* text = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = texts.find(sql);
    if (it != texts.end()) {
      text = it->c_str();
    } else if (texts.size() < kMaxSharedSqlTexts) {
      text = texts.emplace(sql).first->c_str();
    }
  }
  if (text != nullptr) return db.Cached(text);
  ASSIGN_OR_RETURN(Stmt fresh, db.Prepare(sql));
  own.emplace(std::move(fresh));
  return &*own;
}

void AppendComparison(SqlBuilder& b, std::string_view lhs, const tracking::Clause& c) {
  auto value = [&]() -> SqlParam {
    if (c.is_numeric) return c.number;
    return c.text;
  };
  auto simple = [&](std::string_view op) { b.Add(lhs).Add(" ").Add(op).Add(" ").Param(value()); };
  switch (c.op) {
    case Comparator::kEq: simple("="); break;
    case Comparator::kNe: simple("!="); break;
    case Comparator::kGt: simple(">"); break;
    case Comparator::kGe: simple(">="); break;
    case Comparator::kLt: simple("<"); break;
    case Comparator::kLe: simple("<="); break;
    case Comparator::kLike: simple("LIKE"); break;  // connections set case_sensitive_like=ON
    case Comparator::kILike:
      b.Add("LOWER(").Add(lhs).Add(") LIKE LOWER(").Param(c.text).Add(")");
      break;
    case Comparator::kIn:
    case Comparator::kNotIn: {
      b.Add(lhs).Add(c.op == Comparator::kIn ? " IN (" : " NOT IN (");
      for (size_t i = 0; i < c.list.size(); ++i) {
        if (i > 0) b.Add(", ");
        b.Param(c.list[i]);
      }
      b.Add(")");
      break;
    }
  }
}

}  // namespace mlws::store::sqlite
