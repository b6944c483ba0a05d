// SearchRegisteredModels / SearchModelVersions: parsed filters compiled to SQL.
#include "store/sqlite/registry_rows.h"
#include "store/sqlite/sql_builder.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

namespace {

// Column for a registry attribute key (validated by the parser).
std::string Column(const std::string& key, const char* model_alias, const char* version_alias) {
  std::string m = model_alias, v = version_alias ? version_alias : "";
  if (key == "name") return m + ".name";
  if (key == "timestamp" || key == "last_updated_timestamp") {
    return (v.empty() ? m : v) + ".last_updated_timestamp";
  }
  if (key == "creation_timestamp") return (v.empty() ? m : v) + ".creation_timestamp";
  if (key == "version_number") return v + ".version";
  if (key == "source_path") return v + ".source";
  if (key == "run_id") return v + ".run_id";
  return "";
}

Status AppendFilter(SqlBuilder& b, const std::vector<tracking::Clause>& filter, bool versions) {
  for (const auto& c : filter) {
    b.Add(" AND ");
    if (c.type == tracking::EntityType::kTag) {
      // `tags.k != 'v'` also matches entries without the tag, as MLflow's registry does (the
      // MLflow 3 client relies on it to leave prompts out: tag.`mlflow.prompt.is_prompt` !=
      // 'true').
      bool negated = c.op == tracking::Comparator::kNe;
      if (negated) b.Add("NOT ");
      if (versions) {
        b.Add(
            "EXISTS (SELECT 1 FROM model_version_tags t WHERE t.model_rowid = v.model_rowid AND "
            "t.version = v.version AND t.key = ");
      } else {
        b.Add(
            "EXISTS (SELECT 1 FROM registered_model_tags t WHERE t.model_rowid = m.rowid AND "
            "t.key = ");
      }
      b.Param(c.key).Add(" AND ");
      if (negated) {
        tracking::Clause eq = c;
        eq.op = tracking::Comparator::kEq;
        AppendComparison(b, "t.value", eq);
      } else {
        AppendComparison(b, "t.value", c);
      }
      b.Add(")");
      continue;
    }
    std::string col = Column(c.key, "m", versions ? "v" : nullptr);
    if (col.empty() || col == ".version") return InvalidArgument("Invalid filter key " + c.key);
    AppendComparison(b, col, c);
  }
  return Status::Ok();
}

// ", "-terminated ORDER BY items of the query's order_by; the caller appends the tiebreakers.
Status AppendOrderBy(SqlBuilder& b, const std::vector<tracking::OrderBy>& order_by,
                     const char* version_alias) {
  b.Add(" ORDER BY ");
  for (const auto& o : order_by) {
    std::string col = Column(o.key, "m", version_alias);
    if (col.empty()) return InvalidArgument("Invalid order_by key " + o.key);
    b.Add(col).Add(o.ascending ? " ASC, " : " DESC, ");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::vector<assets::RegisteredModel>> SqliteRegistryStore::SearchRegisteredModels(
    const RegistryQuery& q) {
  SqlBuilder b;
  b.Add("SELECT m.rowid FROM registered_models m WHERE m.workspace_id = ").Param(q.workspace_id);
  RETURN_IF_ERROR(AppendFilter(b, q.filter, false));
  RETURN_IF_ERROR(AppendOrderBy(b, q.order_by, nullptr));
  b.Add("m.name ASC LIMIT ").Param(q.limit + 1).Add(" OFFSET ").Param(q.offset);
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt s, lease.db().Prepare(b.sql));
  b.BindAll(s);
  std::vector<std::int64_t> ids;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ids.push_back(s.Int(0));
  }
  std::vector<assets::RegisteredModel> out;
  for (std::int64_t id : ids) {
    ASSIGN_OR_RETURN(auto m, LoadRegisteredModel(lease.db(), id));
    out.push_back(std::move(m));
  }
  return out;
}

StatusOr<std::vector<assets::ModelVersion>> SqliteRegistryStore::SearchModelVersions(
    const RegistryQuery& q) {
  SqlBuilder b;
  b.Add(
       "SELECT v.model_rowid, v.version FROM model_versions v JOIN registered_models m ON "
       "m.rowid = v.model_rowid WHERE m.workspace_id = ")
      .Param(q.workspace_id);
  RETURN_IF_ERROR(AppendFilter(b, q.filter, true));
  RETURN_IF_ERROR(AppendOrderBy(b, q.order_by, "v"));
  b.Add("m.name ASC, v.version DESC LIMIT ").Param(q.limit + 1).Add(" OFFSET ").Param(q.offset);
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt s, lease.db().Prepare(b.sql));
  b.BindAll(s);
  std::vector<std::pair<std::int64_t, std::int64_t>> ids;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ids.emplace_back(s.Int(0), s.Int(1));
  }
  std::vector<assets::ModelVersion> out;
  for (const auto& [model, version] : ids) {
    ASSIGN_OR_RETURN(auto v, LoadModelVersion(lease.db(), model, version));
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace mlws::store::sqlite
