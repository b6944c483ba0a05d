// The MLflow model registry on SQLite: registered models, versions, tags, aliases.
#include <fmt/format.h>

#include <map>

#include "mlws/common/ids.h"
#include "store/sqlite/registry_rows.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

using assets::ModelVersion;
using assets::RegisteredModel;
using tracking::KeyValue;

namespace {

Status NoSuchModel(const std::string& name) {
  return NotFound("Registered Model with name=" + name + " not found");
}

Status NoSuchVersion(const std::string& name, std::int64_t version) {
  return NotFound(fmt::format("Model Version (name={}, version={}) not found", name, version));
}

StatusOr<std::int64_t> ModelRowid(Db& db, std::int64_t ws, const std::string& name) {
  ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT rowid FROM registered_models WHERE workspace_id = "
                                       "? AND name = ?"));
  s->Bind(1, ws).Bind(2, name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NoSuchModel(name);
  return s->Int(0);
}

Status RequireVersion(Db& db, std::int64_t model, const std::string& name, std::int64_t version) {
  ASSIGN_OR_RETURN(Stmt * s,
                   db.Cached("SELECT 1 FROM model_versions WHERE model_rowid = ? AND version = ?"));
  s->Bind(1, model).Bind(2, version);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NoSuchVersion(name, version);
  return Status::Ok();
}

Status Touch(Db& db, std::int64_t model, std::optional<std::int64_t> version) {
  auto now = static_cast<std::int64_t>(NowMillis());
  ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE registered_models SET last_updated_timestamp = ? "
                                       "WHERE rowid = ?"));
  s->Bind(1, now).Bind(2, model);
  RETURN_IF_ERROR(s->Run());
  if (!version) return Status::Ok();
  ASSIGN_OR_RETURN(Stmt * v, db.Cached("UPDATE model_versions SET last_updated_timestamp = ? "
                                       "WHERE model_rowid = ? AND version = ?"));
  v->Bind(1, now).Bind(2, model).Bind(3, *version);
  return v->Run();
}

}  // namespace

StatusOr<ModelVersion> LoadModelVersion(Db& db, std::int64_t model, std::int64_t version) {
  ASSIGN_OR_RETURN(Stmt * s,
                   db.Cached("SELECT m.name, v.version, v.creation_timestamp, "
                             "v.last_updated_timestamp, v.user_id, v.current_stage, "
                             "v.description, v.source, v.run_id, v.run_link, v.status FROM "
                             "model_versions v JOIN registered_models m ON m.rowid = "
                             "v.model_rowid WHERE v.model_rowid = ? AND v.version = ?"));
  s->Bind(1, model).Bind(2, version);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFound("model version not found");
  ModelVersion v;
  v.name = s->Text(0);
  v.version = s->Int(1);
  v.creation_timestamp = s->Int(2);
  v.last_updated_timestamp = s->Int(3);
  v.user_id = s->Text(4);
  v.current_stage = s->Text(5);
  v.description = s->Text(6);
  v.source = s->Text(7);
  v.run_id = s->Text(8);
  v.run_link = s->Text(9);
  v.status = s->Text(10);
  ASSIGN_OR_RETURN(Stmt * t, db.Cached("SELECT key, value FROM model_version_tags WHERE "
                                       "model_rowid = ? AND version = ? ORDER BY key"));
  t->Bind(1, model).Bind(2, version);
  for (;;) {
    ASSIGN_OR_RETURN(bool r, t->Step());
    if (!r) break;
    v.tags.push_back(KeyValue{t->Text(0), t->Text(1)});
  }
  ASSIGN_OR_RETURN(Stmt * a, db.Cached("SELECT alias FROM registered_model_aliases WHERE "
                                       "model_rowid = ? AND version = ? ORDER BY alias"));
  a->Bind(1, model).Bind(2, version);
  for (;;) {
    ASSIGN_OR_RETURN(bool r, a->Step());
    if (!r) break;
    v.aliases.push_back(a->Text(0));
  }
  return v;
}

StatusOr<RegisteredModel> LoadRegisteredModel(Db& db, std::int64_t model) {
  ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT name, creation_timestamp, last_updated_timestamp, "
                                       "description, user_id FROM registered_models WHERE rowid "
                                       "= ?"));
  s->Bind(1, model);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFound("registered model not found");
  RegisteredModel m{s->Text(0), s->Int(1), s->Int(2), s->Text(4), s->Text(3), {}, {}, {}};
  ASSIGN_OR_RETURN(Stmt * t, db.Cached("SELECT key, value FROM registered_model_tags WHERE "
                                       "model_rowid = ? ORDER BY key"));
  t->Bind(1, model);
  for (;;) {
    ASSIGN_OR_RETURN(bool r, t->Step());
    if (!r) break;
    m.tags.push_back(KeyValue{t->Text(0), t->Text(1)});
  }
  ASSIGN_OR_RETURN(Stmt * a, db.Cached("SELECT alias, version FROM registered_model_aliases "
                                       "WHERE model_rowid = ? ORDER BY alias"));
  a->Bind(1, model);
  for (;;) {
    ASSIGN_OR_RETURN(bool r, a->Step());
    if (!r) break;
    m.aliases.push_back({a->Text(0), a->Int(1)});
  }
  // The latest version of each stage, as MLflow's latest_versions.
  ASSIGN_OR_RETURN(Stmt * l, db.Cached("SELECT current_stage, MAX(version) FROM model_versions "
                                       "WHERE model_rowid = ? GROUP BY current_stage"));
  l->Bind(1, model);
  std::vector<std::int64_t> latest;
  for (;;) {
    ASSIGN_OR_RETURN(bool r, l->Step());
    if (!r) break;
    latest.push_back(l->Int(1));
  }
  std::sort(latest.begin(), latest.end());
  for (std::int64_t v : latest) {
    ASSIGN_OR_RETURN(ModelVersion mv, LoadModelVersion(db, model, v));
    m.latest_versions.push_back(std::move(mv));
  }
  return m;
}

StatusOr<RegisteredModel> SqliteRegistryStore::CreateRegisteredModel(
    std::int64_t ws, const std::string& name, const std::string& description,
    const std::vector<KeyValue>& tags) {
  RegisteredModel out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    if (ModelRowid(db, ws, name).ok()) {
      return AlreadyExists("Registered Model (name=" + name + ") already exists.");
    }
    auto now = static_cast<std::int64_t>(NowMillis());
    ASSIGN_OR_RETURN(Stmt * ins, db.Cached("INSERT INTO registered_models (workspace_id, name, "
                                           "creation_timestamp, last_updated_timestamp, "
                                           "description) VALUES (?, ?, ?, ?, ?)"));
    ins->Bind(1, ws).Bind(2, name).Bind(3, now).Bind(4, now).Bind(5, description);
    RETURN_IF_ERROR(ins->Run());
    std::int64_t model = db.LastInsertRowid();
    for (const auto& t : tags) {
      ASSIGN_OR_RETURN(Stmt * tag, db.Cached("INSERT OR REPLACE INTO registered_model_tags "
                                             "(model_rowid, key, value) VALUES (?, ?, ?)"));
      tag->Bind(1, model).Bind(2, t.key).Bind(3, t.value);
      RETURN_IF_ERROR(tag->Run());
    }
    ASSIGN_OR_RETURN(out, LoadRegisteredModel(db, model));
    return Status::Ok();
  }));
  return out;
}

StatusOr<RegisteredModel> SqliteRegistryStore::GetRegisteredModel(std::int64_t ws,
                                                                  const std::string& name) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(lease.db(), ws, name));
  return LoadRegisteredModel(lease.db(), model);
}

StatusOr<RegisteredModel> SqliteRegistryStore::RenameRegisteredModel(std::int64_t ws,
                                                                     const std::string& name,
                                                                     const std::string& new_name) {
  RegisteredModel out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(db, ws, name));
    if (new_name != name && ModelRowid(db, ws, new_name).ok()) {
      return AlreadyExists("Registered Model (name=" + new_name + ") already exists.");
    }
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE registered_models SET name = ? WHERE rowid = ?"));
    s->Bind(1, new_name).Bind(2, model);
    RETURN_IF_ERROR(s->Run());
    RETURN_IF_ERROR(Touch(db, model, std::nullopt));
    ASSIGN_OR_RETURN(out, LoadRegisteredModel(db, model));
    return Status::Ok();
  }));
  return out;
}

StatusOr<RegisteredModel> SqliteRegistryStore::UpdateRegisteredModel(
    std::int64_t ws, const std::string& name, const std::string& description) {
  RegisteredModel out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(db, ws, name));
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("UPDATE registered_models SET description = ? WHERE rowid = ?"));
    s->Bind(1, description).Bind(2, model);
    RETURN_IF_ERROR(s->Run());
    RETURN_IF_ERROR(Touch(db, model, std::nullopt));
    ASSIGN_OR_RETURN(out, LoadRegisteredModel(db, model));
    return Status::Ok();
  }));
  return out;
}

Status SqliteRegistryStore::DeleteRegisteredModel(std::int64_t ws, const std::string& name) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(db, ws, name));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM registered_models WHERE rowid = ?"));
    s->Bind(1, model);
    return s->Run();
  });
}

Status SqliteRegistryStore::SetRegisteredModelTag(std::int64_t ws, const std::string& name,
                                                  const KeyValue& tag) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(db, ws, name));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("INSERT OR REPLACE INTO registered_model_tags "
                                         "(model_rowid, key, value) VALUES (?, ?, ?)"));
    s->Bind(1, model).Bind(2, tag.key).Bind(3, tag.value);
    RETURN_IF_ERROR(s->Run());
    return Touch(db, model, std::nullopt);
  });
}

Status SqliteRegistryStore::DeleteRegisteredModelTag(std::int64_t ws, const std::string& name,
                                                     const std::string& key) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(db, ws, name));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM registered_model_tags WHERE model_rowid = "
                                         "? AND key = ?"));
    s->Bind(1, model).Bind(2, key);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) {
      return NotFound("No tag with name: " + key + " in registered model " + name);
    }
    return Status::Ok();
  });
}

Status SqliteRegistryStore::SetAlias(std::int64_t ws, const std::string& name,
                                     const std::string& alias, std::int64_t version) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(db, ws, name));
    RETURN_IF_ERROR(RequireVersion(db, model, name, version));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("INSERT OR REPLACE INTO registered_model_aliases "
                                         "(model_rowid, alias, version) VALUES (?, ?, ?)"));
    s->Bind(1, model).Bind(2, alias).Bind(3, version);
    RETURN_IF_ERROR(s->Run());
    return Touch(db, model, std::nullopt);
  });
}

Status SqliteRegistryStore::DeleteAlias(std::int64_t ws, const std::string& name,
                                        const std::string& alias) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(db, ws, name));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM registered_model_aliases WHERE "
                                         "model_rowid = ? AND alias = ?"));
    s->Bind(1, model).Bind(2, alias);
    RETURN_IF_ERROR(s->Run());
    return Touch(db, model, std::nullopt);
  });
}

StatusOr<ModelVersion> SqliteRegistryStore::GetVersionByAlias(std::int64_t ws,
                                                              const std::string& name,
                                                              const std::string& alias) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(lease.db(), ws, name));
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT version FROM registered_model_aliases "
                                               "WHERE model_rowid = ? AND alias = ?"));
  s->Bind(1, model).Bind(2, alias);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return InvalidArgument("Registered model alias " + alias + " not found.");
  return LoadModelVersion(lease.db(), model, s->Int(0));
}

StatusOr<ModelVersion> SqliteRegistryStore::CreateModelVersion(std::int64_t ws,
                                                               const ModelVersion& v) {
  ModelVersion out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(out, CreateModelVersionRow(db, ws, v));
    return Status::Ok();
  }));
  return out;
}

StatusOr<ModelVersion> SqliteRegistryStore::CreateModelVersionRow(Db& db, std::int64_t ws,
                                                                  const ModelVersion& v) {
  ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(db, ws, v.name));
  // The number is drawn by the UPDATE itself (next_version + 1), not read first and written
  // back: on PostgreSQL a second server's UPDATE of the row waits for this commit and then
  // increments what it wrote, so two servers never hand out one number.
  ASSIGN_OR_RETURN(Stmt * bump, db.Cached("UPDATE registered_models SET next_version = "
                                          "next_version + 1 WHERE rowid = ?"));
  bump->Bind(1, model);
  RETURN_IF_ERROR(bump->Run());
  if (db.Changes() == 0) return NoSuchModel(v.name);
  ASSIGN_OR_RETURN(Stmt * next,
                   db.Cached("SELECT next_version FROM registered_models WHERE rowid = ?"));
  next->Bind(1, model);
  ASSIGN_OR_RETURN(bool row, next->Step());
  if (!row) return NoSuchModel(v.name);
  const std::int64_t version = next->Int(0) - 1;
  next->Reset();
  auto now = static_cast<std::int64_t>(NowMillis());
  ASSIGN_OR_RETURN(Stmt * ins, db.Cached("INSERT INTO model_versions (model_rowid, version, "
                                         "creation_timestamp, last_updated_timestamp, "
                                         "user_id, description, source, run_id, run_link) "
                                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  ins->Bind(1, model)
      .Bind(2, version)
      .Bind(3, now)
      .Bind(4, now)
      .Bind(5, v.user_id)
      .Bind(6, v.description)
      .Bind(7, v.source)
      .Bind(8, v.run_id)
      .Bind(9, v.run_link);
  RETURN_IF_ERROR(ins->Run());
  for (const auto& t : v.tags) {
    ASSIGN_OR_RETURN(Stmt * tag, db.Cached("INSERT OR REPLACE INTO model_version_tags "
                                           "(model_rowid, version, key, value) VALUES "
                                           "(?, ?, ?, ?)"));
    tag->Bind(1, model).Bind(2, version).Bind(3, t.key).Bind(4, t.value);
    RETURN_IF_ERROR(tag->Run());
  }
  RETURN_IF_ERROR(Touch(db, model, std::nullopt));
  return LoadModelVersion(db, model, version);
}

StatusOr<ModelVersion> SqliteRegistryStore::GetModelVersion(std::int64_t ws,
                                                            const std::string& name,
                                                            std::int64_t version) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(lease.db(), ws, name));
  RETURN_IF_ERROR(RequireVersion(lease.db(), model, name, version));
  return LoadModelVersion(lease.db(), model, version);
}

StatusOr<ModelVersion> SqliteRegistryStore::UpdateModelVersion(std::int64_t ws,
                                                               const std::string& name,
                                                               std::int64_t version,
                                                               const std::string& description) {
  ModelVersion out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(db, ws, name));
    RETURN_IF_ERROR(RequireVersion(db, model, name, version));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE model_versions SET description = ? WHERE "
                                         "model_rowid = ? AND version = ?"));
    s->Bind(1, description).Bind(2, model).Bind(3, version);
    RETURN_IF_ERROR(s->Run());
    RETURN_IF_ERROR(Touch(db, model, version));
    ASSIGN_OR_RETURN(out, LoadModelVersion(db, model, version));
    return Status::Ok();
  }));
  return out;
}

Status SqliteRegistryStore::DeleteModelVersion(std::int64_t ws, const std::string& name,
                                               std::int64_t version) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(db, ws, name));
    RETURN_IF_ERROR(RequireVersion(db, model, name, version));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM model_versions WHERE model_rowid = ? AND "
                                         "version = ?"));
    s->Bind(1, model).Bind(2, version);
    RETURN_IF_ERROR(s->Run());
    return Touch(db, model, std::nullopt);
  });
}

StatusOr<ModelVersion> SqliteRegistryStore::TransitionStage(std::int64_t ws,
                                                            const std::string& name,
                                                            std::int64_t version,
                                                            const std::string& stage,
                                                            bool archive_existing) {
  ModelVersion out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(db, ws, name));
    RETURN_IF_ERROR(RequireVersion(db, model, name, version));
    auto now = static_cast<std::int64_t>(NowMillis());
    if (archive_existing && (stage == "Staging" || stage == "Production")) {
      ASSIGN_OR_RETURN(Stmt * a, db.Cached("UPDATE model_versions SET current_stage = "
                                           "'Archived', last_updated_timestamp = ? WHERE "
                                           "model_rowid = ? AND current_stage = ? AND version "
                                           "!= ?"));
      a->Bind(1, now).Bind(2, model).Bind(3, stage).Bind(4, version);
      RETURN_IF_ERROR(a->Run());
    }
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE model_versions SET current_stage = ? WHERE "
                                         "model_rowid = ? AND version = ?"));
    s->Bind(1, stage).Bind(2, model).Bind(3, version);
    RETURN_IF_ERROR(s->Run());
    RETURN_IF_ERROR(Touch(db, model, version));
    ASSIGN_OR_RETURN(out, LoadModelVersion(db, model, version));
    return Status::Ok();
  }));
  return out;
}

Status SqliteRegistryStore::SetModelVersionTag(std::int64_t ws, const std::string& name,
                                               std::int64_t version, const KeyValue& tag) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(db, ws, name));
    RETURN_IF_ERROR(RequireVersion(db, model, name, version));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("INSERT OR REPLACE INTO model_version_tags "
                                         "(model_rowid, version, key, value) VALUES (?, ?, ?, ?)"));
    s->Bind(1, model).Bind(2, version).Bind(3, tag.key).Bind(4, tag.value);
    RETURN_IF_ERROR(s->Run());
    return Touch(db, model, version);
  });
}

Status SqliteRegistryStore::DeleteModelVersionTag(std::int64_t ws, const std::string& name,
                                                  std::int64_t version, const std::string& key) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t model, ModelRowid(db, ws, name));
    RETURN_IF_ERROR(RequireVersion(db, model, name, version));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM model_version_tags WHERE model_rowid = ? "
                                         "AND version = ? AND key = ?"));
    s->Bind(1, model).Bind(2, version).Bind(3, key);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) {
      return NotFound(
          fmt::format("No tag with name: {} in model version {} of {}", key, version, name));
    }
    return Status::Ok();
  });
}

}  // namespace mlws::store::sqlite
