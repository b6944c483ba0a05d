#include "store/sqlite/key_lock.h"

#include <cstdint>

namespace mlws::store::sqlite {

namespace {

// FNV-1a: the same on every server build (std::hash is not promised to be).
std::int64_t KeyHash(std::string_view key) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<std::int64_t>(h);
}

}  // namespace

Status LockKey(Db& db, std::string_view key) {
  if (db.dialect() != Dialect::kPostgres) return Status::Ok();
  ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT pg_advisory_xact_lock(?)"));
  s->Bind(1, KeyHash(key));
  return s->Run();
}

}  // namespace mlws::store::sqlite
