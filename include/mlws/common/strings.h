// Small string helpers shared across areas.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlws {

// Splits on every `sep`, keeping empty parts: "a//b" -> {"a", "", "b"}, "" -> {""}.
// The views point into `s`.
std::vector<std::string_view> SplitKeepEmpty(std::string_view s, char sep);

// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF). Everything the server stores or renders as JSON text must pass this.
bool IsValidUtf8(std::string_view s);
// Length of the well-formed UTF-8 sequence starting at s[i] (1-4), or 0 when it is malformed.
size_t Utf8SequenceLength(std::string_view s, size_t i);
// `s` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string ToValidUtf8(std::string_view s);

}  // namespace mlws
