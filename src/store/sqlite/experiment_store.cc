#include <fmt/format.h>

#include "mlws/common/ids.h"
#include "store/sqlite/sql_builder.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

using tracking::Experiment;
using tracking::KeyValue;
using tracking::LifecycleStage;

namespace {

constexpr const char* kExperimentColumns =
    "rowid, workspace_id, exp_id, name, artifact_location, lifecycle_stage, creation_time, "
    "last_update_time";

Status NoSuchExperiment(const std::string& id) {
  return NotFound("No Experiment with id=" + id + " exists");
}

void ReadExperimentRow(Stmt& s, Experiment& e) {
  e.rowid = s.Int(0);
  e.workspace_id = s.Int(1);
  e.experiment_id = std::to_string(s.Int(2));
  e.name = s.Text(3);
  e.artifact_location = s.Text(4);
  e.lifecycle_stage =
      s.TextView(5) == "deleted" ? LifecycleStage::kDeleted : LifecycleStage::kActive;
  e.creation_time = s.Int(6);
  e.last_update_time = s.Int(7);
}

Status LoadExperimentTags(Db& db, Experiment& e) {
  ASSIGN_OR_RETURN(Stmt * t, db.Cached("SELECT key, value FROM experiment_tags "
                                       "WHERE experiment_rowid = ? ORDER BY key"));
  t->Bind(1, e.rowid);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, t->Step());
    if (!row) break;
    e.tags.push_back(KeyValue{t->Text(0), t->Text(1)});
  }
  return Status::Ok();
}

Status TouchExperiment(Db& db, std::int64_t rowid) {
  ASSIGN_OR_RETURN(Stmt * s,
                   db.Cached("UPDATE experiments SET last_update_time = ? WHERE rowid = ?"));
  s->Bind(1, static_cast<std::int64_t>(NowMillis())).Bind(2, rowid);
  return s->Run();
}

}  // namespace

bool ParseExperimentId(const std::string& s, std::int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

StatusOr<std::int64_t> ResolveExperimentRowid(Db& db, std::int64_t workspace_id,
                                              const std::string& experiment_id) {
  std::int64_t num = 0;
  if (!ParseExperimentId(experiment_id, &num)) return NoSuchExperiment(experiment_id);
  ASSIGN_OR_RETURN(
      Stmt * s, db.Cached("SELECT rowid FROM experiments WHERE workspace_id = ? AND exp_id = ?"));
  s->Bind(1, workspace_id).Bind(2, num);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NoSuchExperiment(experiment_id);
  return s->Int(0);
}

StatusOr<Experiment> LoadExperiment(Db& db, std::int64_t rowid) {
  ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT rowid, workspace_id, exp_id, name, "
                                       "artifact_location, lifecycle_stage, creation_time, "
                                       "last_update_time FROM experiments WHERE rowid = ?"));
  s->Bind(1, rowid);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFound("experiment not found");
  Experiment e;
  ReadExperimentRow(*s, e);
  RETURN_IF_ERROR(LoadExperimentTags(db, e));
  return e;
}

StatusOr<Experiment> SqliteExperimentStore::CreateExperiment(std::int64_t workspace_id,
                                                             const std::string& name,
                                                             const std::string& artifact_location,
                                                             const std::vector<KeyValue>& tags) {
  Experiment out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * dup, db.Cached("SELECT lifecycle_stage FROM experiments "
                                           "WHERE workspace_id = ? AND name = ?"));
    dup->Bind(1, workspace_id).Bind(2, name);
    ASSIGN_OR_RETURN(bool exists, dup->Step());
    if (exists) {
      return AlreadyExists(fmt::format("Experiment(name={}) already exists.{}", name,
                                       dup->TextView(0) == "deleted"
                                           ? " The experiment is deleted: restore it or "
                                             "permanently delete it first."
                                           : ""));
    }
    // Ids are unique across workspaces (only each workspace's Default experiment is "0"), so an
    // id copied from one workspace is "not found" in another instead of naming something else.
    ASSIGN_OR_RETURN(Stmt * next,
                     db.Cached("SELECT COALESCE(MAX(exp_id), 0) + 1 FROM experiments"));
    ASSIGN_OR_RETURN(bool row, next->Step());
    std::int64_t exp_id = row ? next->Int(0) : 1;
    std::string location = artifact_location;
    auto pos = location.find("{id}");
    if (pos != std::string::npos) location.replace(pos, 4, std::to_string(exp_id));
    auto now = static_cast<std::int64_t>(NowMillis());
    ASSIGN_OR_RETURN(Stmt * ins, db.Cached("INSERT INTO experiments (workspace_id, exp_id, name, "
                                           "artifact_location, creation_time, last_update_time) "
                                           "VALUES (?, ?, ?, ?, ?, ?)"));
    ins->Bind(1, workspace_id)
        .Bind(2, exp_id)
        .Bind(3, name)
        .Bind(4, location)
        .Bind(5, now)
        .Bind(6, now);
    RETURN_IF_ERROR(ins->Run());
    std::int64_t rowid = db.LastInsertRowid();
    for (const auto& t : tags) {
      ASSIGN_OR_RETURN(Stmt * tag, db.Cached("INSERT OR REPLACE INTO experiment_tags "
                                             "(experiment_rowid, key, value) VALUES (?, ?, ?)"));
      tag->Bind(1, rowid).Bind(2, t.key).Bind(3, t.value);
      RETURN_IF_ERROR(tag->Run());
    }
    ASSIGN_OR_RETURN(out, LoadExperiment(db, rowid));
    return Status::Ok();
  }));
  return out;
}

StatusOr<Experiment> SqliteExperimentStore::GetExperiment(std::int64_t workspace_id,
                                                          const std::string& experiment_id) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(std::int64_t rowid,
                   ResolveExperimentRowid(lease.db(), workspace_id, experiment_id));
  return LoadExperiment(lease.db(), rowid);
}

StatusOr<Experiment> SqliteExperimentStore::GetExperimentByName(std::int64_t workspace_id,
                                                                const std::string& name) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(
      Stmt * s,
      lease.db().Cached("SELECT rowid FROM experiments WHERE workspace_id = ? AND name = ?"));
  s->Bind(1, workspace_id).Bind(2, name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFound("Could not find experiment with name '" + name + "'");
  return LoadExperiment(lease.db(), s->Int(0));
}

StatusOr<ExperimentPage> SqliteExperimentStore::SearchExperiments(const ExperimentQuery& q) {
  SqlBuilder b;
  b.Add("SELECT ").Add(kExperimentColumns).Add(" FROM experiments e WHERE workspace_id = ");
  b.Param(q.workspace_id);
  if (q.view == tracking::ViewType::kActiveOnly) b.Add(" AND lifecycle_stage = 'active'");
  if (q.view == tracking::ViewType::kDeletedOnly) b.Add(" AND lifecycle_stage = 'deleted'");
  for (const auto& c : q.filter) {
    b.Add(" AND ");
    if (c.type == tracking::EntityType::kTag) {
      b.Add(
           "EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_rowid = e.rowid AND "
           "t.key = ")
          .Param(c.key)
          .Add(" AND ");
      AppendComparison(b, "t.value", c);
      b.Add(")");
    } else {
      // Attribute keys are validated by the parser: name, creation_time, last_update_time.
      AppendComparison(b, c.key, c);
    }
  }
  b.Add(" ORDER BY ");
  for (const auto& o : q.order_by) {
    std::string col = o.key == "experiment_id" ? "exp_id" : o.key;
    b.Add(col).Add(o.ascending ? " ASC, " : " DESC, ");
  }
  b.Add("exp_id ASC");
  if (q.order_by.empty()) {
    // MLflow default: creation time descending, then id.
    b.sql.replace(b.sql.rfind("exp_id ASC"), 10, "creation_time DESC, exp_id DESC");
  }
  b.Add(" LIMIT ").Param(q.limit + 1).Add(" OFFSET ").Param(q.offset);

  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt s, lease.db().Prepare(b.sql));
  b.BindAll(s);
  ExperimentPage page;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (static_cast<std::int64_t>(page.experiments.size()) == q.limit) {
      page.has_more = true;
      break;
    }
    Experiment e;
    ReadExperimentRow(s, e);
    page.experiments.push_back(std::move(e));
  }
  for (auto& e : page.experiments) RETURN_IF_ERROR(LoadExperimentTags(lease.db(), e));
  return page;
}

Status SqliteExperimentStore::RenameExperiment(std::int64_t workspace_id,
                                               const std::string& experiment_id,
                                               const std::string& new_name) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t rowid, ResolveExperimentRowid(db, workspace_id, experiment_id));
    ASSIGN_OR_RETURN(Experiment e, LoadExperiment(db, rowid));
    if (e.lifecycle_stage != LifecycleStage::kActive) {
      return InvalidArgument("Cannot rename a non-active experiment.");
    }
    ASSIGN_OR_RETURN(Stmt * dup, db.Cached("SELECT 1 FROM experiments WHERE workspace_id = ? "
                                           "AND name = ? AND rowid != ?"));
    dup->Bind(1, workspace_id).Bind(2, new_name).Bind(3, rowid);
    ASSIGN_OR_RETURN(bool exists, dup->Step());
    if (exists) return AlreadyExists("Experiment(name=" + new_name + ") already exists.");
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE experiments SET name = ?, last_update_time = ? "
                                         "WHERE rowid = ?"));
    s->Bind(1, new_name).Bind(2, static_cast<std::int64_t>(NowMillis())).Bind(3, rowid);
    return s->Run();
  });
}

Status SqliteExperimentStore::SetExperimentLifecycle(std::int64_t workspace_id,
                                                     const std::string& experiment_id,
                                                     LifecycleStage stage) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t rowid, ResolveExperimentRowid(db, workspace_id, experiment_id));
    ASSIGN_OR_RETURN(Experiment e, LoadExperiment(db, rowid));
    if (stage == LifecycleStage::kDeleted) {
      if (e.experiment_id == "0") {
        return InvalidArgument(
            "Cannot delete the default experiment '0'. This is an internally "
            "reserved experiment.");
      }
      if (e.lifecycle_stage == LifecycleStage::kDeleted) {
        return InvalidArgument("Cannot delete an already deleted experiment.");
      }
    } else if (e.lifecycle_stage == LifecycleStage::kActive) {
      return InvalidArgument("Cannot restore an active experiment.");
    }
    const char* name = tracking::LifecycleName(stage);
    auto now = static_cast<std::int64_t>(NowMillis());
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE experiments SET lifecycle_stage = ?, "
                                         "last_update_time = ? WHERE rowid = ?"));
    s->Bind(1, name).Bind(2, now).Bind(3, rowid);
    RETURN_IF_ERROR(s->Run());
    ASSIGN_OR_RETURN(Stmt * r, db.Cached("UPDATE runs SET lifecycle_stage = ?, deleted_time = ? "
                                         "WHERE experiment_rowid = ?"));
    r->Bind(1, name).Bind(3, rowid);
    if (stage == LifecycleStage::kDeleted) {
      r->Bind(2, now);
    } else {
      r->BindNull(2);
    }
    return r->Run();
  });
}

Status SqliteExperimentStore::SetExperimentTag(std::int64_t workspace_id,
                                               const std::string& experiment_id,
                                               const KeyValue& tag) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t rowid, ResolveExperimentRowid(db, workspace_id, experiment_id));
    ASSIGN_OR_RETURN(Stmt * st,
                     db.Cached("SELECT lifecycle_stage FROM experiments WHERE rowid = ?"));
    st->Bind(1, rowid);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (row && st->TextView(0) != "active") {
      return InvalidArgument("The experiment " + experiment_id +
                             " must be in the 'active' state. Current state is deleted.");
    }
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("INSERT OR REPLACE INTO experiment_tags "
                                         "(experiment_rowid, key, value) VALUES (?, ?, ?)"));
    s->Bind(1, rowid).Bind(2, tag.key).Bind(3, tag.value);
    RETURN_IF_ERROR(s->Run());
    return TouchExperiment(db, rowid);
  });
}

Status SqliteExperimentStore::DeleteExperimentTag(std::int64_t workspace_id,
                                                  const std::string& experiment_id,
                                                  const std::string& key) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t rowid, ResolveExperimentRowid(db, workspace_id, experiment_id));
    ASSIGN_OR_RETURN(
        Stmt * s, db.Cached("DELETE FROM experiment_tags WHERE experiment_rowid = ? AND key = ?"));
    s->Bind(1, rowid).Bind(2, key);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) {
      return NotFound("No tag with name: " + key + " in experiment with id " + experiment_id);
    }
    return TouchExperiment(db, rowid);
  });
}

}  // namespace mlws::store::sqlite
