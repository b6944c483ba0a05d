// SQLite WebhookStore: one row (a JSON document) per webhook.
#include <fmt/format.h>

#include "store/sqlite/mlflow3_stores.h"

namespace mlws::store::sqlite {

namespace {

Status NoSuchWebhook(const std::string& id) {
  return NotFound(fmt::format("Webhook with ID {} not found.", id));
}

}  // namespace

Status SqliteWebhookStore::PutWebhook(std::int64_t ws, const WebhookRecord& w) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("INSERT OR REPLACE INTO webhooks (webhook_id, "
                                         "workspace_id, creation_ms, doc) VALUES (?, ?, ?, ?)"));
    s->Bind(1, w.webhook_id).Bind(2, ws).Bind(3, w.creation_ms).Bind(4, w.doc);
    return s->Run();
  });
}

StatusOr<WebhookRecord> SqliteWebhookStore::GetWebhook(std::int64_t ws, const std::string& id) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT webhook_id, creation_ms, doc FROM webhooks "
                                               "WHERE webhook_id = ? AND workspace_id = ?"));
  s->Bind(1, id).Bind(2, ws);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NoSuchWebhook(id);
  return WebhookRecord{s->Text(0), s->Int(1), s->Text(2)};
}

StatusOr<std::vector<WebhookRecord>> SqliteWebhookStore::ListWebhooks(std::int64_t ws) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT webhook_id, creation_ms, doc FROM webhooks "
                                               "WHERE workspace_id = ? ORDER BY creation_ms, "
                                               "webhook_id"));
  s->Bind(1, ws);
  std::vector<WebhookRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(WebhookRecord{s->Text(0), s->Int(1), s->Text(2)});
  }
  return out;
}

Status SqliteWebhookStore::DeleteWebhook(std::int64_t ws, const std::string& id) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("DELETE FROM webhooks WHERE webhook_id = ? AND workspace_id = ?"));
    s->Bind(1, id).Bind(2, ws);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) return NoSuchWebhook(id);
    return Status::Ok();
  });
}

}  // namespace mlws::store::sqlite
