#include "store/postgres/pg_sql.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <utility>

namespace mlws::store::postgres {
namespace {

// Copies a quoted section ('...' or "...", doubled quotes escape) starting at sql[i]; returns the
// index after it.
size_t CopyQuoted(std::string_view sql, size_t i, std::string& out) {
  char q = sql[i];
  out += sql[i++];
  while (i < sql.size()) {
    out += sql[i];
    if (sql[i] == q) {
      if (i + 1 < sql.size() && sql[i + 1] == q) {
        out += sql[++i];
      } else {
        return i + 1;
      }
    }
    ++i;
  }
  return i;
}

std::string Upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

}  // namespace

std::string RewritePlaceholders(std::string_view sql, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int max_index = 0;
  for (size_t i = 0; i < sql.size();) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      i = CopyQuoted(sql, i, out);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size();
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '?') {
      size_t j = i + 1;
      while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) ++j;
      int n = j > i + 1 ? std::stoi(std::string(sql.substr(i + 1, j - i - 1))) : max_index + 1;
      max_index = std::max(max_index, n);
      out += '$';
      out += std::to_string(n);
      i = j;
    } else {
      out += c;
      ++i;
    }
  }
  if (count != nullptr) *count = max_index;
  return out;
}

InsertOr ParseInsertOr(std::string_view sql) {
  static const std::regex kRe(R"(^\s*INSERT\s+OR\s+(REPLACE|IGNORE)\s+INTO\s+([A-Za-z_0-9]+))",
                              std::regex::icase);
  std::string s(sql.substr(0, std::min<size_t>(sql.size(), 200)));
  std::smatch m;
  if (!std::regex_search(s, m, kRe)) return {};
  return InsertOr{m[2].str(), Upper(m[1].str()) == "REPLACE"};
}

std::string RewriteInsertOr(std::string_view sql, const std::vector<std::string>& key) {
  InsertOr io = ParseInsertOr(sql);
  if (io.table.empty()) return std::string(sql);
  // Drop "OR REPLACE" / "OR IGNORE" after INSERT.
  std::string s(sql);
  std::string upper = Upper(s);
  size_t or_pos = upper.find(" OR ");
  size_t into = upper.find("INTO", or_pos);
  std::string out = s.substr(0, or_pos) + " " + s.substr(into);
  while (!out.empty() &&
         (out.back() == ';' || std::isspace(static_cast<unsigned char>(out.back())))) {
    out.pop_back();
  }
  if (!io.replace) return out + " ON CONFLICT DO NOTHING";
  // The column list right after the table name.
  size_t open = out.find('(', out.find(io.table));
  size_t close = open == std::string::npos ? std::string::npos : out.find(')', open);
  std::vector<std::string> updates;
  if (close != std::string::npos) {
    std::string cols = out.substr(open + 1, close - open - 1);
    size_t start = 0;
    while (start <= cols.size()) {
      size_t comma = cols.find(',', start);
      if (comma == std::string::npos) comma = cols.size();
      std::string col = cols.substr(start, comma - start);
      col.erase(0, col.find_first_not_of(" \t\n"));
      col.erase(col.find_last_not_of(" \t\n") + 1);
      if (!col.empty() && std::find(key.begin(), key.end(), col) == key.end()) {
        updates.push_back(fmt::format("{0} = excluded.{0}", col));
      }
      start = comma + 1;
    }
  }
  if (key.empty() || updates.empty()) return out + " ON CONFLICT DO NOTHING";
  return fmt::format("{} ON CONFLICT ({}) DO UPDATE SET {}", out, fmt::join(key, ", "),
                     fmt::join(updates, ", "));
}

std::string RewriteUtility(std::string_view sql) {
  std::string upper = Upper(sql);
  size_t first = upper.find_first_not_of(" \t\n");
  if (first == std::string::npos) return "";
  std::string_view u = std::string_view(upper).substr(first);
  if (u.rfind("PRAGMA", 0) == 0) return "";
  if (u.rfind("BEGIN IMMEDIATE", 0) == 0 || u.rfind("BEGIN EXCLUSIVE", 0) == 0) return "BEGIN";
  return std::string(sql);
}

std::string TranslateDdl(std::string_view sqlite_ddl) {
  std::string s(sqlite_ddl);
  // Triggers first: their bodies are SQLite-only.
  static const std::regex kTrigger(
      R"(CREATE TRIGGER ([A-Za-z_0-9]+) (BEFORE|AFTER) (UPDATE|DELETE|INSERT) ON ([A-Za-z_0-9]+)\s+BEGIN SELECT RAISE\(ABORT, '([^']*)'\); END;)");
  s = std::regex_replace(
      s, kTrigger,
      "CREATE FUNCTION $1_fn() RETURNS trigger LANGUAGE plpgsql AS $$$$ BEGIN RAISE EXCEPTION "
      "'$5' USING ERRCODE = 'integrity_constraint_violation'; END $$$$;\n"
      "CREATE TRIGGER $1 $2 $3 ON $4 FOR EACH ROW EXECUTE FUNCTION $1_fn();");
  // Column types, then table options; INTEGER PRIMARY KEY before INTEGER.
  static const std::pair<std::regex, const char*> kRules[] = {
      {std::regex(R"(\bINTEGER PRIMARY KEY\b)"),
       "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
      {std::regex(R"(\bINTEGER\b)"), "BIGINT"},
      {std::regex(R"(\bREAL\b)"), "DOUBLE PRECISION"},
      {std::regex(R"(\bBLOB\b)"), "BYTEA"},
      {std::regex(R"(\bTEXT\b)"), "TEXT COLLATE \"C\""},
      {std::regex(R"(\)\s*WITHOUT ROWID)"), ")"},
  };
  for (const auto& [re, replacement] : kRules) s = std::regex_replace(s, re, replacement);
  return s;
}

std::string MaskPassword(const std::string& uri) {
  std::string out = uri;
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t start = scheme + 3;
    size_t at = out.find('@', start);
    size_t slash = out.find('/', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  static const std::regex kPasswordParam(R"(([?&]password=)[^&]*)", std::regex::icase);
  return std::regex_replace(out, kPasswordParam, "$1***");
}

}  // namespace mlws::store::postgres
