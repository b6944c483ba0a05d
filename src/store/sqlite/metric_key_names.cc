#include "store/sqlite/metric_key_names.h"

#include <mutex>

namespace mlws::store::sqlite {

Status MetricKeyNames::Names(Db& db, const std::vector<std::int64_t>& ids,
                             std::vector<std::string>& names) {
  names.assign(ids.size(), std::string());
  std::vector<std::size_t> missing;  // positions in `ids`
  {
    std::shared_lock lock(mu_);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto it = names_.find(ids[i]);
      if (it != names_.end()) {
        names[i] = it->second;
      } else {
        missing.push_back(i);
      }
    }
  }
  if (missing.empty()) return Status::Ok();
  std::unordered_map<std::int64_t, std::string> read;
  for (std::size_t i : missing) {
    auto known = read.find(ids[i]);
    if (known == read.end()) {
      ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT key FROM metric_keys WHERE id = ?"));
      s->Bind(1, ids[i]);
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) return Internal("metric key id " + std::to_string(ids[i]) + " has no name");
      known = read.emplace(ids[i], s->Text(0)).first;
      s->Reset();
    }
    names[i] = known->second;
  }
  std::unique_lock lock(mu_);
  for (auto& [id, name] : read) {
    if (names_.size() >= kMaxCached) break;
    names_.emplace(id, std::move(name));
  }
  return Status::Ok();
}

}  // namespace mlws::store::sqlite
