#include "search_filter_scanner.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>
#include <utility>

namespace mlws::tracking::search_filter_internal {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char ToUpperAscii(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToUpperAscii(a[i]) != ToUpperAscii(b[i])) return false;
  }
  return true;
}

bool IsComparatorByte(char c) { return c == '<' || c == '>' || c == '=' || c == '!' || c == '~'; }

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0 if there is none
// (overlong forms, surrogates and code points above U+10FFFF are not well-formed).
size_t Utf8SequenceLength(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](size_t i, unsigned char lo, unsigned char hi) {
    return i < s.size() && byte(i) >= lo && byte(i) <= hi;
  };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

// Whether a literal that from_chars found out of range overflowed (true) or underflowed.
// `digits` is the unsigned mantissa ("123.45"), `exponent` the saturated decimal exponent.
bool Overflows(std::string_view digits, long exponent) {
  const size_t dot = std::min(digits.find('.'), digits.size());
  const std::string_view int_part = digits.substr(0, dot);
  const size_t first = int_part.find_first_not_of('0');
  if (first != std::string_view::npos) {
    // The value is about 10^(magnitude - 1).
    return static_cast<long>(int_part.size() - first) + exponent > 0;
  }
  const std::string_view frac = digits.substr(std::min(dot + 1, digits.size()));
  const size_t frac_first = frac.find_first_not_of('0');
  if (frac_first == std::string_view::npos) return false;  // zero
  return exponent - static_cast<long>(frac_first) > 0;
}

}  // namespace

bool IsWordByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_' ||
         u >= 0x80;
}

bool ParseNumber(std::string_view literal, double* out) {
  const size_t n = literal.size();
  size_t i = 0;
  bool negative = false;
  if (i < n && (literal[i] == '+' || literal[i] == '-')) {
    negative = literal[i] == '-';
    ++i;
  }
  const size_t mantissa_begin = i;
  size_t digit_count = 0;
  while (i < n && IsDigit(literal[i])) ++i, ++digit_count;
  if (i < n && literal[i] == '.') {
    ++i;
    while (i < n && IsDigit(literal[i])) ++i, ++digit_count;
  }
  if (digit_count == 0) return false;
  const size_t mantissa_end = i;
  long exponent = 0;
  if (i < n && (literal[i] == 'e' || literal[i] == 'E')) {
    ++i;
    bool exponent_negative = false;
    if (i < n && (literal[i] == '+' || literal[i] == '-')) {
      exponent_negative = literal[i] == '-';
      ++i;
    }
    const size_t exponent_begin = i;
    while (i < n && IsDigit(literal[i])) {
      if (exponent < 1000000) exponent = exponent * 10 + (literal[i] - '0');  // saturate
      ++i;
    }
    if (i == exponent_begin) return false;
    if (exponent_negative) exponent = -exponent;
  }
  if (i != n) return false;

  // from_chars takes no leading '+', and is locale-independent (unlike strtod).
  const std::string_view unsigned_literal = literal.substr(mantissa_begin);
  double value = 0;
  const auto [ptr, ec] = std::from_chars(unsigned_literal.data(),
                                         unsigned_literal.data() + unsigned_literal.size(), value);
  if (ec == std::errc::result_out_of_range) {
    const bool overflow =
        Overflows(literal.substr(mantissa_begin, mantissa_end - mantissa_begin), exponent);
    value = overflow ? std::numeric_limits<double>::infinity() : 0.0;
  } else if (ec != std::errc() || ptr != unsigned_literal.data() + unsigned_literal.size()) {
    return false;
  }
  *out = negative ? -value : value;
  return true;
}

std::string Excerpt(std::string_view text) {
  constexpr size_t kMaxBytes = 60;
  std::string out;
  size_t i = 0;
  while (i < text.size() && out.size() < kMaxBytes) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += (c < 0x20 || c == 0x7F) ? ' ' : static_cast<char>(c);
      ++i;
      continue;
    }
    const size_t len = Utf8SequenceLength(text.substr(i));
    if (len == 0) {
      out += '?';
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  if (i < text.size()) out += "...";
  return out;
}

void Scanner::SkipSpace() {
  while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
}

bool Scanner::PeekKeyword(std::string_view keyword) const {
  const std::string_view rest = Rest();
  if (rest.size() < keyword.size()) return false;
  if (!EqualsIgnoreCase(rest.substr(0, keyword.size()), keyword)) return false;
  return rest.size() == keyword.size() || !IsWordByte(rest[keyword.size()]);
}

bool Scanner::ConsumeKeyword(std::string_view keyword) {
  if (!PeekKeyword(keyword)) return false;
  pos_ += keyword.size();
  return true;
}

std::string_view Scanner::ReadWord() {
  const size_t start = pos_;
  while (pos_ < in_.size() && IsWordByte(in_[pos_])) ++pos_;
  return in_.substr(start, pos_ - start);
}

StatusOr<std::string> Scanner::ReadQuoted() {
  const size_t start = pos_;
  const char quote = in_[pos_++];
  std::string out;
  while (pos_ < in_.size()) {
    const char c = in_[pos_];
    const bool has_next = pos_ + 1 < in_.size();
    if (c == quote) {
      if (has_next && in_[pos_ + 1] == quote) {  // doubled quote
        out += quote;
        pos_ += 2;
        continue;
      }
      ++pos_;
      return out;
    }
    if (c == '\\' && quote != '`' && has_next && in_[pos_ + 1] == quote) {
      out += quote;
      pos_ += 2;
      continue;
    }
    out += c;
    ++pos_;
  }
  return InvalidArgument("unterminated quoted string at '" + Excerpt(in_.substr(start)) + "'");
}

StatusOr<Identifier> Scanner::ReadIdentifier() {
  SkipSpace();
  const size_t start = pos_;
  if (AtEnd()) return InvalidArgument("expected an identifier but the input ended");
  const char c = in_[pos_];
  if (c == '(' || c == ')') {
    return InvalidArgument("parentheses are not supported, at '" + Excerpt(Rest()) +
                           "'; only clauses joined by AND are");
  }
  std::string first;
  bool first_double_quoted = false;
  if (c == '`' || c == '"') {
    ASSIGN_OR_RETURN(first, ReadQuoted());
    first_double_quoted = c == '"';
  } else if (IsWordByte(c)) {
    first = std::string(ReadWord());
  } else {
    return InvalidArgument(
        "expected an identifier such as metrics.<key>, params.<key>, "
        "tags.<key> or an attribute name at '" +
        Excerpt(Rest()) + "'");
  }

  Identifier id;
  if (pos_ < in_.size() && in_[pos_] == '.') {
    if (first_double_quoted) {
      return InvalidArgument("invalid entity type '\"" + Excerpt(first) +
                             "\"'; quote the key, not the entity type, e.g. tags.\"my key\"");
    }
    ++pos_;
    id.has_prefix = true;
    id.prefix = std::move(first);
    const char k = pos_ < in_.size() ? in_[pos_] : '\0';
    if (k == '`' || k == '"') {
      ASSIGN_OR_RETURN(id.key, ReadQuoted());
    } else if (pos_ < in_.size() && IsWordByte(k)) {
      // An unquoted key may contain dots: metrics.a.b has the key "a.b".
      const size_t key_start = pos_;
      ReadWord();
      while (pos_ + 1 < in_.size() && in_[pos_] == '.' && IsWordByte(in_[pos_ + 1])) {
        ++pos_;
        ReadWord();
      }
      id.key = std::string(in_.substr(key_start, pos_ - key_start));
    } else {
      return InvalidArgument("missing key after '" + Excerpt(in_.substr(start, pos_ - start)) +
                             "'");
    }
  } else {
    id.key = std::move(first);
  }
  id.raw = in_.substr(start, pos_ - start);
  if (pos_ < in_.size()) {
    // A word after a quoted key starts the comparator (tags.`a b`LIKE 'x' is valid, as in
    // MLflow); an unquoted key has already taken all word bytes.
    const char next = in_[pos_];
    if (next == '.' || next == '`' || next == '"' || next == '\'') {
      return InvalidArgument("invalid identifier at '" + Excerpt(in_.substr(start)) +
                             "'; quote a key that contains spaces or other special characters "
                             "with backticks or double quotes, e.g. tags.`my key`");
    }
  }
  if (id.key.empty()) {
    return InvalidArgument("invalid identifier '" + Excerpt(id.raw) + "': the key is empty");
  }
  return id;
}

StatusOr<Comparator> Scanner::ReadComparator() {
  SkipSpace();
  if (AtEnd()) return InvalidArgument("expected a comparator but the input ended");
  const size_t start = pos_;
  const char c = in_[pos_];
  if (IsComparatorByte(c)) {
    while (pos_ < in_.size() && IsComparatorByte(in_[pos_])) ++pos_;
    const std::string_view op = in_.substr(start, pos_ - start);
    if (op == "=") return Comparator::kEq;
    if (op == "!=") return Comparator::kNe;
    if (op == ">") return Comparator::kGt;
    if (op == ">=") return Comparator::kGe;
    if (op == "<") return Comparator::kLt;
    if (op == "<=") return Comparator::kLe;
    return InvalidArgument("invalid comparator '" + Excerpt(op) +
                           "'; valid comparators are =, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN");
  }
  if (IsWordByte(c)) {
    const std::string_view word = ReadWord();
    if (EqualsIgnoreCase(word, "LIKE")) return Comparator::kLike;
    if (EqualsIgnoreCase(word, "ILIKE")) return Comparator::kILike;
    if (EqualsIgnoreCase(word, "IN")) return Comparator::kIn;
    if (EqualsIgnoreCase(word, "NOT")) {
      SkipSpace();
      if (ConsumeKeyword("IN")) return Comparator::kNotIn;
      ReadWord();
    }
    return InvalidArgument("invalid comparator '" + Excerpt(in_.substr(start, pos_ - start)) +
                           "'; valid comparators are =, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN");
  }
  return InvalidArgument("expected a comparator at '" + Excerpt(Rest()) + "'");
}

StatusOr<std::vector<std::string>> Scanner::ReadList() {
  const size_t start = pos_;
  ++pos_;  // '('
  std::vector<std::string> items;
  auto ill_formed = [&]() {
    return InvalidArgument(
        "while parsing a list in the query, expected a non-empty list of single-quoted string "
        "values such as ('a', 'b'), but got ill-formed list at '" +
        Excerpt(in_.substr(start)) + "'");
  };
  SkipSpace();
  if (pos_ < in_.size() && in_[pos_] == ')') {
    return InvalidArgument(
        "while parsing a list in the query, expected a non-empty list of string values, but got "
        "empty list");
  }
  while (true) {
    SkipSpace();
    if (AtEnd() || in_[pos_] != '\'') return ill_formed();
    ASSIGN_OR_RETURN(std::string item, ReadQuoted());
    items.push_back(std::move(item));
    SkipSpace();
    if (AtEnd()) return ill_formed();
    if (in_[pos_] == ')') {
      ++pos_;
      return items;
    }
    if (in_[pos_] != ',') return ill_formed();
    ++pos_;
  }
}

StatusOr<Value> Scanner::ReadValue() {
  SkipSpace();
  if (AtEnd()) return InvalidArgument("expected a value but the input ended");
  const size_t start = pos_;
  const char c = in_[pos_];
  Value v;
  if (c == '\'' || c == '"') {
    v.kind = ValueKind::kString;
    ASSIGN_OR_RETURN(v.text, ReadQuoted());
  } else if (c == '(') {
    v.kind = ValueKind::kList;
    ASSIGN_OR_RETURN(v.list, ReadList());
  } else if (IsWordByte(c) || c == '-' || c == '+' || c == '.') {
    while (pos_ < in_.size() &&
           (IsWordByte(in_[pos_]) || in_[pos_] == '-' || in_[pos_] == '+' || in_[pos_] == '.')) {
      ++pos_;
    }
    v.text = std::string(in_.substr(start, pos_ - start));
    v.kind = ParseNumber(v.text, &v.number) ? ValueKind::kNumber : ValueKind::kBareWord;
  } else {
    return InvalidArgument("expected a value (a number, a quoted string or a list) at '" +
                           Excerpt(Rest()) + "'");
  }
  v.raw = in_.substr(start, pos_ - start);
  return v;
}

}  // namespace mlws::tracking::search_filter_internal
