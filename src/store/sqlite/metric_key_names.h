// MetricKeyNames: the names of interned metric keys by id, for the read side (a search's page of
// runs reads latest_metrics' key ids and names them here instead of joining metric_keys per row).
//
// Correct on every server sharing the database: a metric_keys row is never updated or deleted
// (DbContext::MetricKeyId only inserts), so a name, once read, stays right. An id this cache has
// not seen (a key logged since, maybe through another server) is read from metric_keys.
//
// Thread-safety: safe for concurrent use; Name's Db is the caller's (reader) connection.
// Memory: at most kMaxCached names are kept (later ones are read each time, not cached).
#pragma once

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mlws/common/status.h"
#include "store/sqlite/db.h"

namespace mlws::store::sqlite {

class MetricKeyNames {
 public:
  static constexpr std::size_t kMaxCached = 1 << 16;

  // The names of `ids` (same order), reading the unknown ones through `db`. Internal if an id
  // has no metric_keys row (a latest_metrics row naming a key that does not exist).
  Status Names(Db& db, const std::vector<std::int64_t>& ids, std::vector<std::string>& names);

 private:
  std::shared_mutex mu_;
  std::unordered_map<std::int64_t, std::string> names_;  // GUARDED_BY(mu_)
};

}  // namespace mlws::store::sqlite
