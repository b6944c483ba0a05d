// The SQL lease store's cancel requests (migration 17, lease_store.h): a cancel asked of a
// server that does not own the job waits in job_cancel_requests until the job's lease holder
// carries it out.
#include "store/sqlite/lease_store.h"

namespace mlws::store::sqlite {

StatusOr<bool> SqliteLeaseStore::RequestCancel(std::int64_t ws, const std::string& name,
                                               const std::string& requested_by, std::int64_t now) {
  bool active = false;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * u, db.Cached("UPDATE jobs SET cancel_requested = 1 WHERE "
                                         "workspace_id = ? AND name = ? AND status IN "
                                         "('Queued', 'Running')"));
    u->Bind(1, ws).Bind(2, name);
    RETURN_IF_ERROR(u->Run());
    active = db.Changes() == 1;
    if (!active) return Status::Ok();
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("INSERT INTO job_cancel_requests (workspace_id, name, "
                                         "requested_at, requested_by) VALUES (?1, ?2, ?3, ?4) "
                                         "ON CONFLICT (workspace_id, name) DO NOTHING"));
    s->Bind(1, ws).Bind(2, name).Bind(3, now).Bind(4, requested_by);
    return s->Run();
  }));
  return active;
}

StatusOr<std::vector<CancelRequest>> SqliteLeaseStore::CancelRequestsFor(
    const std::string& server_id) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(
      Stmt * s, lease.db().Cached("SELECT r.workspace_id, w.name, r.name FROM job_cancel_requests "
                                  "r JOIN job_leases l ON l.workspace_id = r.workspace_id AND "
                                  "l.name = r.name JOIN workspaces w ON w.id = r.workspace_id "
                                  "WHERE l.server_id = ? ORDER BY r.requested_at"));
  s->Bind(1, server_id);
  std::vector<CancelRequest> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back({s->Int(0), s->Text(1), s->Text(2)});
  }
  s->Reset();
  return out;
}

Status SqliteLeaseStore::DropCancelRequests(const std::vector<LeaseKey>& keys) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM job_cancel_requests WHERE workspace_id = ? "
                                         "AND name = ?"));
    for (const auto& k : keys) {
      s->Reset();
      s->Bind(1, k.workspace_id).Bind(2, k.name);
      RETURN_IF_ERROR(s->Run());
    }
    return Status::Ok();
  });
}

}  // namespace mlws::store::sqlite
