// AssetStore on SQLite: asset versions and asset lineage. Tags and properties are JSON objects
// in text columns (they are only ever read and written whole).
#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "mlws/common/json.h"
#include "store/sqlite/key_lock.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

namespace {

using assets::Asset;
using assets::AssetKind;

constexpr const char* kColumns =
    "kind, name, version, seq, type, description, tags, properties, path, spec, content_hash, "
    "source_run_id, archived, created_at, updated_at, created_by";

std::string MapToJson(const std::map<std::string, std::string>& m) {
  return DumpJson(nlohmann::json(m));
}

std::map<std::string, std::string> JsonToMap(std::string_view text) {
  std::map<std::string, std::string> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it->is_string()) out[it.key()] = it->get<std::string>();
  }
  return out;
}

Asset ReadAsset(const Stmt& s) {
  Asset a;
  a.kind = static_cast<AssetKind>(s.Int(0));
  a.name = s.Text(1);
  a.version = s.Text(2);
  a.seq = s.Int(3);
  a.type = s.Text(4);
  a.description = s.Text(5);
  a.tags = JsonToMap(s.TextView(6));
  a.properties = JsonToMap(s.TextView(7));
  a.path = s.Text(8);
  a.spec_json = s.Text(9);
  a.content_hash = s.Text(10);
  a.source_run_id = s.Text(11);
  a.archived = s.Int(12) != 0;
  a.created_at = s.Int(13);
  a.updated_at = s.Int(14);
  a.created_by = s.Text(15);
  return a;
}

StatusOr<std::vector<Asset>> ReadAll(Stmt& s) {
  std::vector<Asset> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadAsset(s));
  }
  return out;
}

// The spec JSON with its "version" set to `version`.
std::string SetSpecVersion(const std::string& spec_json, const std::string& version) {
  auto j = nlohmann::json::parse(spec_json, nullptr, false);
  if (!j.is_object()) return spec_json;
  j["version"] = version;
  return DumpJson(j);
}

// The first column of every row.
StatusOr<std::vector<std::string>> ReadStrings(Stmt& s) {
  std::vector<std::string> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(s.Text(0));
  }
  return out;
}

Status NoSuchAsset(AssetKind kind, const std::string& name, const std::string& version) {
  return NotFound(fmt::format("{} {}:{} does not exist in this workspace.", assets::KindName(kind),
                              name, version));
}

}  // namespace

StatusOr<Asset> SqliteAssetStore::CreateAsset(std::int64_t ws, const Asset& a) {
  Asset out;
  Status st = writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(out, CreateAssetRow(db, ws, a));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

StatusOr<Asset> SqliteAssetStore::CreateAssetRow(Db& db, std::int64_t ws, const Asset& a) {
  // seq (what "latest" follows) and the next free version are read, then written: the name's
  // key lock keeps a second server's create of the same name out until this one commits.
  RETURN_IF_ERROR(LockKey(db, fmt::format("asset/{}/{}/{}", ws, static_cast<int>(a.kind), a.name)));
  Asset out = a;
  ASSIGN_OR_RETURN(Stmt * q, db.Cached("SELECT COALESCE(MAX(seq), 0) FROM assets WHERE "
                                       "workspace_id = ? AND kind = ? AND name = ?"));
  q->Bind(1, ws).Bind(2, static_cast<int>(a.kind)).Bind(3, a.name);
  ASSIGN_OR_RETURN(bool row, q->Step());
  out.seq = (row ? q->Int(0) : 0) + 1;
  q->Reset();
  if (out.version.empty()) {
    // The next integer version, chosen inside the write so concurrent creates never collide.
    ASSIGN_OR_RETURN(Stmt * v, db.Cached("SELECT version FROM assets WHERE workspace_id = ? AND "
                                         "kind = ? AND name = ?"));
    v->Bind(1, ws).Bind(2, static_cast<int>(a.kind)).Bind(3, a.name);
    ASSIGN_OR_RETURN(auto versions, ReadStrings(*v));
    std::int64_t next = 1;
    for (const auto& text : versions) {
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec == std::errc() && end == text.data() + text.size() && n >= next) next = n + 1;
    }
    out.version = std::to_string(next);
    out.spec_json = SetSpecVersion(out.spec_json, out.version);
  }
  ASSIGN_OR_RETURN(Stmt * s,
                   db.Cached("INSERT INTO assets (workspace_id, kind, name, version, seq, type, "
                             "description, tags, properties, path, spec, content_hash, "
                             "source_run_id, archived, created_at, updated_at, created_by) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  s->Bind(1, ws).Bind(2, static_cast<int>(a.kind)).Bind(3, a.name).Bind(4, out.version);
  s->Bind(5, out.seq).Bind(6, a.type).Bind(7, a.description).Bind(8, MapToJson(a.tags));
  s->Bind(9, MapToJson(a.properties)).Bind(10, a.path).Bind(11, out.spec_json);
  s->Bind(12, a.content_hash).Bind(13, a.source_run_id).Bind(14, a.archived ? 1 : 0);
  s->Bind(15, a.created_at).Bind(16, a.updated_at).Bind(17, a.created_by);
  Status ins = s->Run();
  if (ins.code() == ErrorCode::kResourceAlreadyExists) {
    return AlreadyExists(
        fmt::format("{} {}:{} already exists; versions are immutable (give "
                    "another version, or omit it to get the next one).",
                    assets::KindName(a.kind), a.name, a.version));
  }
  RETURN_IF_ERROR(ins);
  return out;
}

StatusOr<Asset> SqliteAssetStore::GetAsset(std::int64_t ws, AssetKind kind, const std::string& name,
                                           const std::string& version) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  static const std::string sql = fmt::format(
      "SELECT {} FROM assets WHERE workspace_id = ? AND kind = ? AND name = ? AND version = ?",
      kColumns);
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(sql.c_str()));
  s->Bind(1, ws).Bind(2, static_cast<int>(kind)).Bind(3, name).Bind(4, version);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NoSuchAsset(kind, name, version);
  return ReadAsset(*s);
}

StatusOr<Asset> SqliteAssetStore::GetLatestAsset(std::int64_t ws, AssetKind kind,
                                                 const std::string& name) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  static const std::string sql = fmt::format(
      "SELECT {} FROM assets WHERE workspace_id = ? AND kind = ? AND name = ? AND "
      "archived = 0 ORDER BY seq DESC LIMIT 1",
      kColumns);
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(sql.c_str()));
  s->Bind(1, ws).Bind(2, static_cast<int>(kind)).Bind(3, name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) {
    return NotFound(fmt::format("{} '{}' has no version that is not archived in this workspace.",
                                assets::KindName(kind), name));
  }
  return ReadAsset(*s);
}

StatusOr<std::vector<Asset>> SqliteAssetStore::ListAssets(const AssetQuery& q) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  std::string where = "workspace_id = ?1 AND kind = ?2";
  if (q.name) where += " AND name = ?3";
  if (!q.include_archived) where += " AND archived = 0";
  std::string sql;
  if (q.all_versions) {
    sql = fmt::format("SELECT {} FROM assets WHERE {} ORDER BY name, seq DESC", kColumns, where);
  } else {
    sql = fmt::format(
        "SELECT {0} FROM assets a WHERE {1} AND seq = (SELECT MAX(seq) FROM assets b WHERE "
        "b.workspace_id = a.workspace_id AND b.kind = a.kind AND b.name = a.name{2}) "
        "ORDER BY name",
        kColumns, where, q.include_archived ? "" : " AND b.archived = 0");
  }
  ASSIGN_OR_RETURN(Stmt s, lease.db().Prepare(sql));
  s.Bind(1, q.workspace_id).Bind(2, static_cast<int>(q.kind));
  if (q.name) s.Bind(3, *q.name);
  return ReadAll(s);
}

StatusOr<std::vector<std::string>> SqliteAssetStore::AssetVersions(std::int64_t ws, AssetKind kind,
                                                                   const std::string& name) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT version FROM assets WHERE workspace_id = ? "
                                               "AND kind = ? AND name = ? ORDER BY seq"));
  s->Bind(1, ws).Bind(2, static_cast<int>(kind)).Bind(3, name);
  return ReadStrings(*s);
}

StatusOr<Asset> SqliteAssetStore::UpdateAsset(std::int64_t ws, const Asset& a) {
  Status st = writes_.Submit([&](Db& db) { return UpdateAssetRow(db, ws, a); });
  if (!st.ok()) return st;
  return GetAsset(ws, a.kind, a.name, a.version);
}

Status SqliteAssetStore::UpdateAssetRow(Db& db, std::int64_t ws, const Asset& a) {
  ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE assets SET description = ?, tags = ?, archived = "
                                       "?, updated_at = ? WHERE workspace_id = ? AND kind = ? "
                                       "AND name = ? AND version = ?"));
  s->Bind(1, a.description).Bind(2, MapToJson(a.tags)).Bind(3, a.archived ? 1 : 0);
  s->Bind(4, a.updated_at).Bind(5, ws).Bind(6, static_cast<int>(a.kind)).Bind(7, a.name);
  s->Bind(8, a.version);
  RETURN_IF_ERROR(s->Run());
  if (db.Changes() == 0) return NoSuchAsset(a.kind, a.name, a.version);
  return Status::Ok();
}

// For MetadataStore::Atomically (sql_tx.cc): the version read on the writer's connection, its
// row locked on PostgreSQL until the transaction commits (SQLite's writer holds the file's lock).
StatusOr<Asset> SqliteAssetStore::LockAssetRow(Db& db, std::int64_t ws, AssetKind kind,
                                               const std::string& name,
                                               const std::string& version) {
  static const std::string sql = fmt::format(
      "SELECT {} FROM assets WHERE workspace_id = ? AND kind = ? AND name = ? AND version = ?",
      kColumns);
  static const std::string locking = sql + " FOR NO KEY UPDATE";
  bool pg = db.dialect() == Dialect::kPostgres;
  ASSIGN_OR_RETURN(Stmt * s, db.Cached(pg ? locking.c_str() : sql.c_str()));
  s->Bind(1, ws).Bind(2, static_cast<int>(kind)).Bind(3, name).Bind(4, version);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NoSuchAsset(kind, name, version);
  return ReadAsset(*s);
}

Status SqliteAssetStore::DeleteAsset(std::int64_t ws, AssetKind kind, const std::string& name,
                                     const std::string& version) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM assets WHERE workspace_id = ? AND kind = ? "
                                         "AND name = ? AND version = ?"));
    s->Bind(1, ws).Bind(2, static_cast<int>(kind)).Bind(3, name).Bind(4, version);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) return NoSuchAsset(kind, name, version);
    ASSIGN_OR_RETURN(Stmt * i, db.Cached("DELETE FROM asset_inputs WHERE workspace_id = ? AND "
                                         "kind = ? AND name = ? AND version = ?"));
    i->Bind(1, ws).Bind(2, static_cast<int>(kind)).Bind(3, name).Bind(4, version);
    return i->Run();
  });
}

StatusOr<std::int64_t> SqliteAssetStore::CountContentRefs(std::int64_t ws,
                                                          const std::string& hash) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached("SELECT COUNT(*) FROM assets WHERE workspace_id = "
                                               "? AND content_hash = ? AND content_hash != ''"));
  s->Bind(1, ws).Bind(2, hash);
  ASSIGN_OR_RETURN(bool row, s->Step());
  return row ? s->Int(0) : 0;
}

Status SqliteAssetStore::RecordAssetInput(std::int64_t ws, const std::string& run_id,
                                          AssetKind kind, const std::string& name,
                                          const std::string& version) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("INSERT OR IGNORE INTO asset_inputs (workspace_id, "
                                         "run_id, kind, name, version) VALUES (?, ?, ?, ?, ?)"));
    s->Bind(1, ws).Bind(2, run_id).Bind(3, static_cast<int>(kind)).Bind(4, name);
    s->Bind(5, version);
    return s->Run();
  });
}

StatusOr<std::vector<std::string>> SqliteAssetStore::RunsUsingAsset(std::int64_t ws, AssetKind kind,
                                                                    const std::string& name,
                                                                    const std::string& version) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  ASSIGN_OR_RETURN(Stmt * s,
                   lease.db().Cached("SELECT run_id FROM asset_inputs WHERE workspace_id = ? AND "
                                     "kind = ? AND name = ? AND version = ? ORDER BY run_id"));
  s->Bind(1, ws).Bind(2, static_cast<int>(kind)).Bind(3, name).Bind(4, version);
  return ReadStrings(*s);
}

StatusOr<std::vector<Asset>> SqliteAssetStore::AssetInputsOfRun(std::int64_t ws,
                                                                const std::string& run_id) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  static const std::string sql = fmt::format(
      "SELECT {} FROM assets a JOIN asset_inputs i ON i.workspace_id = a.workspace_id AND "
      "i.kind = a.kind AND i.name = a.name AND i.version = a.version WHERE i.workspace_id = ? "
      "AND i.run_id = ? ORDER BY a.kind, a.name, a.seq",
      "a.kind, a.name, a.version, a.seq, a.type, a.description, a.tags, a.properties, a.path, "
      "a.spec, a.content_hash, a.source_run_id, a.archived, a.created_at, a.updated_at, "
      "a.created_by");
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(sql.c_str()));
  s->Bind(1, ws).Bind(2, run_id);
  return ReadAll(*s);
}

StatusOr<std::vector<Asset>> SqliteAssetStore::AssetsProducedByRun(std::int64_t ws,
                                                                   const std::string& run_id) {
  ASSIGN_OR_RETURN(auto lease, readers_.Borrow());
  static const std::string sql = fmt::format(
      "SELECT {} FROM assets WHERE workspace_id = ? AND source_run_id = ? AND "
      "source_run_id != '' ORDER BY kind, name, seq",
      kColumns);
  ASSIGN_OR_RETURN(Stmt * s, lease.db().Cached(sql.c_str()));
  s->Bind(1, ws).Bind(2, run_id);
  return ReadAll(*s);
}

}  // namespace mlws::store::sqlite
