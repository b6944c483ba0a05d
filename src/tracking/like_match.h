// SQL LIKE matching for filters evaluated in memory: '%' any run, '_' one character (bytes, as
// SQLite with case_sensitive_like). ILIKE folds ASCII case. Iterative, O(len(text) * number of
// '%'), no recursion.
#pragma once

#include <string_view>

namespace mlws::tracking {

bool LikeMatch(std::string_view text, std::string_view pattern, bool case_insensitive);

}  // namespace mlws::tracking
