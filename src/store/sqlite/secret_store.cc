#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

namespace {
Status NoSuchSecret(const std::string& name) {
  return NotFound("Secret '" + name + "' does not exist in this workspace.");
}
}  // namespace

Status SqliteSecretStore::PutSecret(std::int64_t workspace_id, const SealedSecret& s) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * st,
                     db.Cached("INSERT INTO secrets (workspace_id, name, nonce, ciphertext, "
                               "creation_time, update_time) VALUES (?, ?, ?, ?, ?, ?) "
                               "ON CONFLICT (workspace_id, name) DO UPDATE SET nonce = "
                               "excluded.nonce, ciphertext = excluded.ciphertext, "
                               "update_time = excluded.update_time"));
    st->Bind(1, workspace_id).Bind(2, s.name);
    st->BindBlob(3, s.nonce.data(), static_cast<int>(s.nonce.size()));
    st->BindBlob(4, s.ciphertext.data(), static_cast<int>(s.ciphertext.size()));
    st->Bind(5, s.creation_time).Bind(6, s.update_time);
    return st->Run();
  });
}

StatusOr<SealedSecret> SqliteSecretStore::GetSecret(std::int64_t workspace_id,
                                                    const std::string& name) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT name, nonce, ciphertext, creation_time, "
                                               "update_time FROM secrets WHERE workspace_id = ? "
                                               "AND name = ?"));
  s->Bind(1, workspace_id).Bind(2, name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NoSuchSecret(name);
  return SealedSecret{s->Text(0), std::string(s->Blob(1)), std::string(s->Blob(2)), s->Int(3),
                      s->Int(4)};
}

StatusOr<std::vector<SealedSecret>> SqliteSecretStore::ListSecrets(std::int64_t workspace_id) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT name, creation_time, update_time FROM "
                                               "secrets WHERE workspace_id = ? ORDER BY name"));
  s->Bind(1, workspace_id);
  std::vector<SealedSecret> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(SealedSecret{s->Text(0), "", "", s->Int(1), s->Int(2)});
  }
  return out;
}

Status SqliteSecretStore::DeleteSecret(std::int64_t workspace_id, const std::string& name) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("DELETE FROM secrets WHERE workspace_id = ? AND name = ?"));
    s->Bind(1, workspace_id).Bind(2, name);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) return NoSuchSecret(name);
    return Status::Ok();
  });
}

}  // namespace mlws::store::sqlite
