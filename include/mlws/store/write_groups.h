// WriteGroupStats: how the store's group-commit writer batches writes, for /metrics (the
// `mlws_store_write_group_size` histogram, docs/server.md). A side interface found with
// WriteGroupsOf() rather than a MetadataStore method, so adding it rebuilt only the store.
// Thread-safe: WriteGroups() may be called from any thread while writes go on.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "mlws/store/metadata_store.h"

namespace mlws::store {

struct WriteGroupStats {
  // group_sizes[i] counts groups of at most kBounds[i] writes (and more than the bound before
  // it); the last slot counts larger groups. Not cumulative.
  static constexpr std::array<std::size_t, 9> kBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256};
  std::array<std::uint64_t, kBounds.size() + 1> group_sizes{};
  std::uint64_t groups = 0;          // groups committed (or failed as a whole)
  std::uint64_t grouped_writes = 0;  // writes in those groups
  double commit_seconds = 0;         // time spent in COMMIT (mostly the WAL fsync)
};

class WriteGroupSource {
 public:
  virtual ~WriteGroupSource() = default;
  virtual WriteGroupStats WriteGroups() = 0;
};

// The group-commit statistics behind `store`, or nullptr when its backend has no such writer.
inline WriteGroupSource* WriteGroupsOf(MetadataStore& store) {
  return dynamic_cast<WriteGroupSource*>(&store);
}

}  // namespace mlws::store
