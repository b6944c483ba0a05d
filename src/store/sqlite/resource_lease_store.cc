// The SQL lease store's resource leases (migration 18, lease_store.h): leases of online
// deployments and compute instances.
#include "store/sqlite/lease_store.h"

namespace mlws::store::sqlite {

namespace {

// Of two servers racing, the second sees the first's fresh lease and changes nothing.
constexpr const char* kClaimResource =
    "INSERT INTO resource_leases (kind, workspace_id, name, server_id, expires_at) VALUES (?1, "
    "?2, ?3, ?4, ?5) ON CONFLICT (kind, workspace_id, name) DO UPDATE SET server_id = "
    "excluded.server_id, expires_at = excluded.expires_at WHERE resource_leases.server_id = "
    "excluded.server_id OR resource_leases.expires_at < ?6 OR resource_leases.server_id = ?7";

}  // namespace

StatusOr<bool> SqliteLeaseStore::ClaimResource(const std::string& kind, std::int64_t ws,
                                               const std::string& name,
                                               const std::string& server_id, std::int64_t now,
                                               std::int64_t expires_at,
                                               const std::string& dead_holder) {
  bool won = false;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached(kClaimResource));
    s->Bind(1, kind)
        .Bind(2, ws)
        .Bind(3, name)
        .Bind(4, server_id)
        .Bind(5, expires_at)
        .Bind(6, now)
        .Bind(7, dead_holder);
    RETURN_IF_ERROR(s->Run());
    won = db.Changes() == 1;
    return Status::Ok();
  }));
  return won;
}

Status SqliteLeaseStore::RenewResources(const std::string& server_id, std::int64_t expires_at) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("UPDATE resource_leases SET expires_at = ? WHERE server_id = ?"));
    s->Bind(1, expires_at).Bind(2, server_id);
    return s->Run();
  });
}

StatusOr<std::optional<ResourceLease>> SqliteLeaseStore::GetResourceLease(const std::string& kind,
                                                                          std::int64_t ws,
                                                                          const std::string& name) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s,
                   lease.db().Cached("SELECT server_id, expires_at FROM resource_leases WHERE "
                                     "kind = ? AND workspace_id = ? AND name = ?"));
  s->Bind(1, kind).Bind(2, ws).Bind(3, name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  std::optional<ResourceLease> out;
  if (row) out = ResourceLease{kind, ws, name, s->Text(0), s->Int(1)};
  s->Reset();
  return out;
}

Status SqliteLeaseStore::ReleaseResource(const std::string& kind, std::int64_t ws,
                                         const std::string& name, const std::string& server_id) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM resource_leases WHERE kind = ? AND "
                                         "workspace_id = ? AND name = ? AND server_id = ?"));
    s->Bind(1, kind).Bind(2, ws).Bind(3, name).Bind(4, server_id);
    return s->Run();
  });
}

}  // namespace mlws::store::sqlite
