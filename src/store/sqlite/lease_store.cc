// LeaseStore on SQL (migration 16): the servers table and job leases.
// (Its cancel requests, migration 17: cancel_request_store.cc.)
#include "store/sqlite/lease_store.h"

#include <chrono>

namespace mlws::store::sqlite {

namespace {

std::int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The conditional upsert every claim is: of two servers racing, the second sees the first's
// fresh lease and changes nothing.
constexpr const char* kClaim =
    "INSERT INTO job_leases (workspace_id, name, server_id, expires_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (workspace_id, name) DO UPDATE SET server_id = excluded.server_id, "
    "expires_at = excluded.expires_at WHERE job_leases.server_id = excluded.server_id OR "
    "job_leases.expires_at < ?5 OR job_leases.server_id = ?6";

// Cancel requests (migration 17) of jobs that are no longer Queued or Running: they raced with
// their job's end (cancel_request_store.cc).
constexpr const char* kDropEndedCancelRequests =
    "DELETE FROM job_cancel_requests WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE "
    "j.workspace_id = job_cancel_requests.workspace_id AND j.name = job_cancel_requests.name "
    "AND j.status IN ('Queued', 'Running'))";

}  // namespace

Status SqliteLeaseStore::RegisterServer(const ServerRecord& r) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("INSERT INTO servers (id, host, pid, started_at, heartbeat_at, url) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET "
                               "heartbeat_at = excluded.heartbeat_at, url = excluded.url"));
    s->Bind(1, r.id)
        .Bind(2, r.host)
        .Bind(3, r.pid)
        .Bind(4, r.started_at)
        .Bind(5, r.heartbeat_at)
        .Bind(6, r.url);
    return s->Run();
  });
}

StatusOr<std::vector<ServerRecord>> SqliteLeaseStore::ListServers() {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT id, host, pid, started_at, heartbeat_at, "
                                               "url FROM servers ORDER BY started_at, id"));
  std::vector<ServerRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back({s->Text(0), s->Text(1), s->Int(2), s->Int(3), s->Int(4), s->Text(5)});
  }
  return out;
}

Status SqliteLeaseStore::RemoveServer(const std::string& id) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM servers WHERE id = ?"));
    s->Bind(1, id);
    return s->Run();
  });
}

void SqliteLeaseStore::SetLeaseHolder(const std::string& server_id, std::int64_t lease_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  holder_ = server_id;
  lease_ms_ = lease_ms;
}

Status SqliteLeaseStore::LeaseNewJob(Db& db, std::int64_t ws, const std::string& name) {
  std::string holder;
  std::int64_t lease_ms = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    holder = holder_;
    lease_ms = lease_ms_;
  }
  if (holder.empty()) return Status::Ok();
  std::int64_t now = WallMs();
  ASSIGN_OR_RETURN(Stmt * s, db.Cached(kClaim));
  s->Bind(1, ws).Bind(2, name).Bind(3, holder).Bind(4, now + lease_ms).Bind(5, now).Bind(6, "");
  return s->Run();
}

StatusOr<std::vector<bool>> SqliteLeaseStore::Claim(const std::vector<LeaseKey>& keys,
                                                    const std::string& server_id, std::int64_t now,
                                                    std::int64_t expires_at,
                                                    const std::string& dead_holder) {
  std::vector<bool> won(keys.size(), false);
  if (keys.empty()) return won;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached(kClaim));
    for (size_t i = 0; i < keys.size(); ++i) {
      s->Reset();
      s->Bind(1, keys[i].workspace_id)
          .Bind(2, keys[i].name)
          .Bind(3, server_id)
          .Bind(4, expires_at)
          .Bind(5, now)
          .Bind(6, dead_holder);
      RETURN_IF_ERROR(s->Run());
      won[i] = db.Changes() == 1;
    }
    return Status::Ok();
  }));
  return won;
}

StatusOr<int> SqliteLeaseStore::Renew(const std::string& server_id, std::int64_t now,
                                      std::int64_t expires_at) {
  int held = 0;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("UPDATE job_leases SET expires_at = ? WHERE server_id = ?"));
    s->Bind(1, expires_at).Bind(2, server_id);
    RETURN_IF_ERROR(s->Run());
    held = db.Changes();
    // Leases of jobs that ended without telling (e.g. a pipeline parent) go with the renewal.
    ASSIGN_OR_RETURN(Stmt * d, db.Cached("DELETE FROM job_leases WHERE server_id = ? AND NOT "
                                         "EXISTS (SELECT 1 FROM jobs j WHERE j.workspace_id = "
                                         "job_leases.workspace_id AND j.name = job_leases.name "
                                         "AND j.status IN ('Queued', 'Running'))"));
    d->Bind(1, server_id);
    RETURN_IF_ERROR(d->Run());
    held -= db.Changes();
    ASSIGN_OR_RETURN(Stmt * c, db.Cached(kDropEndedCancelRequests));
    RETURN_IF_ERROR(c->Run());
    ASSIGN_OR_RETURN(Stmt * h, db.Cached("UPDATE servers SET heartbeat_at = ? WHERE id = ?"));
    h->Bind(1, now).Bind(2, server_id);
    return h->Run();
  }));
  return held;
}

StatusOr<std::vector<JobLease>> SqliteLeaseStore::Claimable(const std::string& server_id,
                                                            std::int64_t now,
                                                            const std::vector<std::string>& dead,
                                                            int limit) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  std::string sql =
      "SELECT workspace_id, name, server_id, expires_at FROM job_leases WHERE server_id <> ? AND "
      "(expires_at < ?";
  for (size_t i = 0; i < dead.size(); ++i) sql += " OR server_id = ?";
  sql += ") ORDER BY expires_at LIMIT ?";
  ASSIGN_OR_RETURN(Stmt s, lease.db().Prepare(sql));
  s.Bind(1, server_id).Bind(2, now);
  int b = 3;
  for (const auto& d : dead) s.Bind(b++, d);
  s.Bind(b, limit);
  std::vector<JobLease> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({s.Int(0), s.Text(1), s.Text(2), s.Int(3)});
  }
  return out;
}

StatusOr<std::optional<JobLease>> SqliteLeaseStore::GetLease(std::int64_t ws,
                                                             const std::string& name) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT server_id, expires_at FROM job_leases "
                                               "WHERE workspace_id = ? AND name = ?"));
  s->Bind(1, ws).Bind(2, name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  std::optional<JobLease> out;
  if (row) out = JobLease{ws, name, s->Text(0), s->Int(1)};
  s->Reset();
  return out;
}

Status SqliteLeaseStore::Release(const std::vector<LeaseKey>& keys, const std::string& server_id) {
  if (keys.empty()) return Status::Ok();
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM job_leases WHERE workspace_id = ? AND name "
                                         "= ? AND server_id = ?"));
    for (const auto& k : keys) {
      s->Reset();
      s->Bind(1, k.workspace_id).Bind(2, k.name).Bind(3, server_id);
      RETURN_IF_ERROR(s->Run());
    }
    return Status::Ok();
  });
}

}  // namespace mlws::store::sqlite
