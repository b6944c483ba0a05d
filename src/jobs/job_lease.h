// JobLeases: this server's identity among the servers sharing a database, and which of them are
// dead (docs/scale-out.md "Several servers on one database").
//
// The id is "<host>:<pid>:<start ms>". A server on this host is dead when its pid is gone (or
// is no mlws any more); a server elsewhere is dead when its leases expired. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/store/lease_store.h"

namespace mlws::jobs {

class JobLeases {
 public:
  // `lease_ms`: how long a lease lasts without renewal (renewed every lease_ms / 3).
  JobLeases(store::LeaseStore& store, std::int64_t lease_ms);

  const std::string& server_id() const { return id_; }
  const std::string& host() const { return host_; }
  std::int64_t lease_ms() const { return lease_ms_; }
  store::LeaseStore& store() { return store_; }

  // Records this server in `servers` and makes new jobs leased to it.
  Status Register();
  // Records the URL this server is reached at (servers.url) from now on.
  Status Advertise(const std::string& url);
  // The host part of a server id.
  static std::string HostOf(const std::string& server_id);
  // Whether `server_id` runs on this host and its process is gone (this server: never).
  bool DeadOnThisHost(const std::string& server_id) const;
  // Servers of this host that are dead (their leases need not wait for expiry).
  std::vector<std::string> DeadLocalServers();

 private:
  store::LeaseStore& store_;
  std::int64_t lease_ms_;
  std::string host_;
  std::string url_;
  std::int64_t pid_ = 0;
  std::int64_t started_at_ = 0;
  std::string id_;
};

// "2026-12-01T19:00:00Z" for a time in ms since the epoch.
std::string IsoTime(std::int64_t ms);

}  // namespace mlws::jobs
