// Search pages chosen on a stored sort column (a trace's request time, a model's creation time)
// before any document is parsed: only the page's documents are. Shared by the v3 trace and
// logged-model searches (private to src/tracking).
#pragma once

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::tracking {

// Orders `rows` by key(row) (descending unless `ascending`), ties by id(row) ascending, and
// answers {list: [parse(row) for the page [offset, offset + max)], "next_page_token"?}.
template <typename Row, typename Key, typename Id, typename Parse>
StatusOr<nlohmann::json> PageByStoredKey(std::vector<const Row*> rows, bool ascending, Key key,
                                         Id id, std::int64_t offset, std::int64_t max,
                                         const char* list, Parse parse) {
  std::sort(rows.begin(), rows.end(), [&](const Row* a, const Row* b) {
    if (key(*a) != key(*b)) return ascending ? key(*a) < key(*b) : key(*a) > key(*b);
    return id(*a) < id(*b);
  });
  nlohmann::json page = nlohmann::json::array();
  auto total = static_cast<std::int64_t>(rows.size());
  auto begin = std::min(offset, total);
  auto end = std::min(begin + max, total);
  for (auto i = begin; i < end; ++i) {
    ASSIGN_OR_RETURN(nlohmann::json doc, parse(*rows[static_cast<size_t>(i)]));
    page.push_back(std::move(doc));
  }
  nlohmann::json out = {{list, std::move(page)}};
  if (end < total) out["next_page_token"] = EncodePageToken(end);
  return out;
}

}  // namespace mlws::tracking
