#include "store/sqlite/sqlite_store.h"

#include "store/sqlite/migrations.h"

namespace mlws::store::sqlite {

StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  return OpenWith([path](bool readonly) { return Db::Open(path, readonly); });
}

StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::OpenWith(Connector connect) {
  ASSIGN_OR_RETURN(auto writer, connect(/*readonly=*/false));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(connect), std::move(writer)));
}

SqliteStore::SqliteStore(Connector connect, std::unique_ptr<Db> writer)
    : connect_(std::move(connect)),
      writes_(std::move(writer), [this] { key_ids_.clear(); }),
      readers_(connect_) {}

SqliteStore::~SqliteStore() { Close(); }

void SqliteStore::Close() {
  closed_ = true;
  writes_.Stop();
}

StatusOr<int> SqliteStore::Migrate() {
  int version = 0;
  {
    ASSIGN_OR_RETURN(auto db, connect_(/*readonly=*/false));
    ASSIGN_OR_RETURN(version, ApplyMigrations(*db));
  }
  RETURN_IF_ERROR(writes_.Submit([this](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT COALESCE(MAX(seq), 0) + 1 FROM metric_chunks"));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) next_seq_ = s.Int(0);
    return Status::Ok();
  }));
  return version;
}

StatusOr<std::int64_t> SqliteStore::MetricKeyId(Db& db, const std::string& key) {
  auto it = key_ids_.find(key);
  if (it != key_ids_.end()) return it->second;
  ASSIGN_OR_RETURN(Stmt * sel, db.Cached("SELECT id FROM metric_keys WHERE key = ?"));
  sel->Bind(1, key);
  ASSIGN_OR_RETURN(bool row, sel->Step());
  std::int64_t id = 0;
  if (row) {
    id = sel->Int(0);
  } else {
    ASSIGN_OR_RETURN(Stmt * ins, db.Cached("INSERT INTO metric_keys (key) VALUES (?)"));
    ins->Bind(1, key);
    RETURN_IF_ERROR(ins->Run());
    id = db.LastInsertRowid();
  }
  key_ids_.emplace(key, id);
  return id;
}

StatusOr<std::unique_ptr<MetadataStore>> OpenSqliteStore(const std::string& path) {
  ASSIGN_OR_RETURN(auto s, SqliteStore::Open(path));
  return std::unique_ptr<MetadataStore>(std::move(s));
}

}  // namespace mlws::store::sqlite
