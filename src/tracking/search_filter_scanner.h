// Lexical layer of the search filter parser (include/mlws/tracking/search_filter.h): reads
// identifiers, comparators and values off a string without knowing which search API it serves.
// The grammar rules (which identifiers and comparators are valid where) live in search_filter.cc.
//
// Every reader is a single forward pass over its token; none recurses, so the cost of a whole
// parse is linear in the input. Readers return InvalidArgument on malformed input and leave the
// cursor unspecified afterwards (callers stop at the first error).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/tracking/search_filter.h"

namespace mlws::tracking::search_filter_internal {

// `prefix.key`, `key`, with quotes and backticks removed.
struct Identifier {
  bool has_prefix = false;
  std::string prefix;
  std::string key;
  std::string_view raw;  // as written, for messages
};

enum class ValueKind {
  kString,    // 'text' or "text"
  kNumber,    // a numeric literal
  kBareWord,  // anything else unquoted, e.g. abc or 1x; always an error, but a typed one
  kList,      // ( 'a', 'b' )
};

struct Value {
  ValueKind kind = ValueKind::kString;
  std::string text;  // unescaped string, or the literal as written
  double number = 0;
  std::vector<std::string> list;
  std::string_view raw;  // as written, for messages
};

class Scanner {
 public:
  explicit Scanner(std::string_view input) : in_(input) {}

  void SkipSpace();
  bool AtEnd() const { return pos_ >= in_.size(); }
  // The unread input (from the cursor).
  std::string_view Rest() const { return in_.substr(pos_); }

  // Consumes `keyword` (ASCII, matched case-insensitively) if it is next and is a whole word.
  bool ConsumeKeyword(std::string_view keyword);
  // True if the next word (without consuming it) equals `keyword`, case-insensitively.
  bool PeekKeyword(std::string_view keyword) const;

  // Each reader skips leading whitespace first.
  StatusOr<Identifier> ReadIdentifier();
  StatusOr<Comparator> ReadComparator();
  StatusOr<Value> ReadValue();

 private:
  // Reads a quoted token starting at the cursor (which is on the opening quote), unescaping
  // doubled quotes and, for ' and ", backslash-escaped ones.
  StatusOr<std::string> ReadQuoted();
  std::string_view ReadWord();
  StatusOr<std::vector<std::string>> ReadList();

  std::string_view in_;
  size_t pos_ = 0;
};

// True for bytes that may appear in an unquoted word: ASCII letters, digits, '_', and any
// non-ASCII byte (so UTF-8 keys need no quoting).
bool IsWordByte(char c);

// Parses a complete numeric literal ([+-]digits[.digits][e[+-]digits], or .digits); false if
// `literal` is not one. Out-of-range values saturate to +/-infinity or to zero.
bool ParseNumber(std::string_view literal, double* out);

// `text` cut to a few dozen bytes (with "..." when cut) and made printable, valid UTF-8, for
// quoting in an error message.
std::string Excerpt(std::string_view text);

}  // namespace mlws::tracking::search_filter_internal
