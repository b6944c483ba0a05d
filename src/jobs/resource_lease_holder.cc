// ResourceLeaseHolder: claims, releases and reads the resource leases of one kind for this
// server (include/mlws/jobs/resource_lease_holder.h).
#include "mlws/jobs/resource_lease_holder.h"

#include <spdlog/spdlog.h>

#include "mlws/common/ids.h"

namespace mlws::jobs {

bool ResourceLeaseHolder::Claim(std::int64_t ws_id, const std::string& name) const {
  auto* leases = Leases();
  if (leases == nullptr) return true;  // one server: it owns everything it loads
  std::int64_t now = NowMillis();
  std::string dead;
  auto current = leases->GetResourceLease(kind_, ws_id, name);
  if (current.ok() && *current && jobs_.ServerGone((*current)->server_id)) {
    dead = (*current)->server_id;
  }
  auto won = leases->ClaimResource(kind_, ws_id, name, jobs_.server_id(), now,
                                   now + jobs_.LeaseMs(), dead);
  if (!won.ok()) {
    spdlog::warn("{} {}: cannot claim its lease: {}", kind_, name, won.status().message());
    return false;
  }
  return *won;
}

void ResourceLeaseHolder::Release(std::int64_t ws_id, const std::string& name) const {
  auto* leases = Leases();
  if (leases == nullptr) return;
  Status st = leases->ReleaseResource(kind_, ws_id, name, jobs_.server_id());
  if (!st.ok()) spdlog::warn("{} {}: cannot release its lease: {}", kind_, name, st.message());
}

std::string ResourceLeaseHolder::OtherHolder(std::int64_t ws_id, const std::string& name) const {
  auto* leases = Leases();
  if (leases == nullptr) return "";
  auto l = leases->GetResourceLease(kind_, ws_id, name);
  if (!l.ok() || !*l) return "";
  const std::string& holder = (*l)->server_id;
  if (holder == jobs_.server_id() || (*l)->expires_at < NowMillis() || jobs_.ServerGone(holder)) {
    return "";
  }
  return holder;
}

bool ResourceLeaseHolder::Free(std::int64_t ws_id, const std::string& name,
                               std::string* holder) const {
  holder->clear();
  auto* leases = Leases();
  if (leases == nullptr) return true;
  auto l = leases->GetResourceLease(kind_, ws_id, name);
  if (!l.ok()) return false;
  if (!*l) return true;
  *holder = (*l)->server_id;
  return (*l)->expires_at < NowMillis() || jobs_.ServerGone(*holder);
}

Status ResourceLeaseHolder::RenewAll() const {
  auto* leases = Leases();
  if (leases == nullptr) return Status::Ok();
  return leases->RenewResources(jobs_.server_id(), NowMillis() + jobs_.LeaseMs());
}

}  // namespace mlws::jobs
