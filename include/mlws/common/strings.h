// Small string helpers shared across areas.
#pragma once

#include <string_view>
#include <vector>

namespace mlws {

// Splits on every `sep`, keeping empty parts: "a//b" -> {"a", "", "b"}, "" -> {""}.
// The views point into `s`.
std::vector<std::string_view> SplitKeepEmpty(std::string_view s, char sep);

}  // namespace mlws
