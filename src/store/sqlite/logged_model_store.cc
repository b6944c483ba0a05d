// SQLite LoggedModelStore: one row (a JSON document) per logged model; run links in
// run_model_links.
#include <fmt/format.h>

#include "store/sqlite/mlflow3_stores.h"

namespace mlws::store::sqlite {

namespace {

Status NoSuchModel(const std::string& id) {
  return NotFound(fmt::format("Logged model with ID '{}' not found.", id));
}

// Cached() keys statements by the SQL text pointer: the queries are literals.
#define MLWS_SELECT_MODEL                                                                   \
  "SELECT m.model_id, e.exp_id, m.deleted, m.creation_ms, m.doc FROM logged_models m JOIN " \
  "experiments e ON e.rowid = m.experiment_rowid "

LoggedModelRecord ReadModel(const Stmt& s) {
  LoggedModelRecord r;
  r.model_id = s.Text(0);
  r.experiment_id = std::to_string(s.Int(1));
  r.deleted = s.Int(2) != 0;
  r.creation_ms = s.Int(3);
  r.doc = s.Text(4);
  return r;
}

StatusOr<LoggedModelRecord> LoadModel(Db& db, std::int64_t ws, const std::string& id) {
  ASSIGN_OR_RETURN(Stmt * s,
                   db.Cached(MLWS_SELECT_MODEL "WHERE m.model_id = ? AND m.workspace_id = ?"));
  s->Bind(1, id).Bind(2, ws);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NoSuchModel(id);
  return ReadModel(*s);
}

StatusOr<std::int64_t> RunRowid(Db& db, std::int64_t ws, const std::string& run_id) {
  ASSIGN_OR_RETURN(Stmt * s,
                   db.Cached("SELECT rowid FROM runs WHERE run_uuid = ? AND workspace_id = ?"));
  s->Bind(1, run_id).Bind(2, ws);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFound(fmt::format("Run with id={} not found", run_id));
  return s->Int(0);
}

}  // namespace

StatusOr<std::int64_t> ExperimentRowid(Db& db, std::int64_t workspace_id,
                                       const std::string& experiment_id) {
  auto missing = [&] { return NotFound("No Experiment with id=" + experiment_id + " exists"); };
  if (experiment_id.empty() || experiment_id.size() > 18) return missing();
  std::int64_t num = 0;
  for (char c : experiment_id) {
    if (c < '0' || c > '9') return missing();
    num = num * 10 + (c - '0');
  }
  ASSIGN_OR_RETURN(
      Stmt * s, db.Cached("SELECT rowid FROM experiments WHERE workspace_id = ? AND exp_id = ?"));
  s->Bind(1, workspace_id).Bind(2, num);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return missing();
  return s->Int(0);
}

Status SqliteLoggedModelStore::CreateLoggedModel(std::int64_t ws, const LoggedModelRecord& m) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t exp, ExperimentRowid(db, ws, m.experiment_id));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("INSERT INTO logged_models (model_id, workspace_id, "
                                         "experiment_rowid, deleted, creation_ms, doc) VALUES "
                                         "(?, ?, ?, ?, ?, ?)"));
    s->Bind(1, m.model_id)
        .Bind(2, ws)
        .Bind(3, exp)
        .Bind(4, m.deleted ? 1 : 0)
        .Bind(5, m.creation_ms)
        .Bind(6, m.doc);
    return s->Run();
  });
}

StatusOr<LoggedModelRecord> SqliteLoggedModelStore::GetLoggedModel(std::int64_t ws,
                                                                   const std::string& model_id,
                                                                   bool allow_deleted) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(LoggedModelRecord r, LoadModel(lease.db(), ws, model_id));
  if (r.deleted && !allow_deleted) return NoSuchModel(model_id);
  return r;
}

StatusOr<LoggedModelRecord> SqliteLoggedModelStore::UpdateLoggedModel(std::int64_t ws,
                                                                      const std::string& model_id,
                                                                      const Mutator& fn) {
  LoggedModelRecord out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(LoggedModelRecord r, LoadModel(db, ws, model_id));
    if (r.deleted) return NoSuchModel(model_id);
    RETURN_IF_ERROR(fn(r));
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("UPDATE logged_models SET deleted = ?, doc = ? WHERE model_id = ?"));
    s->Bind(1, r.deleted ? 1 : 0).Bind(2, r.doc).Bind(3, model_id);
    RETURN_IF_ERROR(s->Run());
    out = std::move(r);
    return Status::Ok();
  }));
  return out;
}

StatusOr<std::vector<LoggedModelRecord>> SqliteLoggedModelStore::ListLoggedModels(
    std::int64_t ws, const std::vector<std::string>& experiment_ids) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  std::vector<LoggedModelRecord> out;
  for (const auto& exp_id : experiment_ids) {
    auto rowid = ExperimentRowid(lease.db(), ws, exp_id);
    if (!rowid.ok()) continue;  // MLflow returns nothing for unknown experiments
    ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(MLWS_SELECT_MODEL
                                                 "WHERE m.experiment_rowid = ? AND m.deleted = 0 "
                                                 "ORDER BY m.creation_ms, m.model_id"));
    s->Bind(1, *rowid);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadModel(*s));
    }
  }
  return out;
}

Status SqliteLoggedModelStore::LinkRunModels(std::int64_t ws, const std::string& run_id,
                                             const std::vector<RunModelLink>& links) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(std::int64_t run, RunRowid(db, ws, run_id));
    for (const auto& l : links) {
      ASSIGN_OR_RETURN(LoggedModelRecord m, LoadModel(db, ws, l.model_id));
      if (m.deleted) return NoSuchModel(l.model_id);
      ASSIGN_OR_RETURN(Stmt * s, db.Cached("INSERT OR REPLACE INTO run_model_links (run_rowid, "
                                           "model_id, output, step) VALUES (?, ?, ?, ?)"));
      s->Bind(1, run).Bind(2, l.model_id).Bind(3, l.output ? 1 : 0).Bind(4, l.step);
      RETURN_IF_ERROR(s->Run());
    }
    return Status::Ok();
  });
}

StatusOr<std::vector<RunModelLink>> SqliteLoggedModelStore::RunModelLinks(
    std::int64_t ws, const std::string& run_id) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(std::int64_t run, RunRowid(lease.db(), ws, run_id));
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT model_id, output, step FROM "
                                               "run_model_links WHERE run_rowid = ? ORDER BY "
                                               "output, step, model_id"));
  s->Bind(1, run);
  std::vector<RunModelLink> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(RunModelLink{s->Text(0), s->Int(1) != 0, s->Int(2)});
  }
  return out;
}

}  // namespace mlws::store::sqlite
