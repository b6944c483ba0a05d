// OpenPostgresStore: the SQL store (sqlite/sqlite_store.h) over PostgreSQL connections.
#include "store/postgres/pg_db.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::postgres {

StatusOr<std::unique_ptr<MetadataStore>> OpenPostgresStore(const std::string& uri) {
  auto connect = [uri](bool readonly) -> StatusOr<std::unique_ptr<Db>> {
    ASSIGN_OR_RETURN(auto db, PgDb::Connect(uri, readonly));
    return std::unique_ptr<Db>(std::move(db));
  };
  ASSIGN_OR_RETURN(auto s, sqlite::SqliteStore::OpenWith(connect));
  return std::unique_ptr<MetadataStore>(std::move(s));
}

}  // namespace mlws::store::postgres
