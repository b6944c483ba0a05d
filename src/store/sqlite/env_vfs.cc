// The VFS shim of env_vfs.h: every method forwards to the "unix" VFS; xWrite and xSync ask the
// Env first.
#include "store/sqlite/env_vfs.h"

#include <sqlite3.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

namespace mlws::store::sqlite {

namespace {

struct EnvVfs {
  sqlite3_vfs vfs;    // what SQLite sees (pAppData = this)
  sqlite3_vfs* real;  // the VFS it wraps
  Env* env;
  std::string name;
};

// One open file: our sqlite3_file, then the wrapped VFS's file right behind it in the same
// allocation (SQLite allocates szOsFile bytes, 8-aligned).
struct alignas(8) EnvFile {
  sqlite3_file base;
  Env* env;
  const char* path;  // SQLite keeps the name valid until xClose
};

sqlite3_file* Real(sqlite3_file* f) {
  return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + sizeof(EnvFile));
}
EnvFile* Self(sqlite3_file* f) { return reinterpret_cast<EnvFile*>(f); }
EnvVfs* Vfs(sqlite3_vfs* v) { return static_cast<EnvVfs*>(v->pAppData); }

// The SQLite code for an Env's refusal: a full disk is SQLITE_FULL ("database or disk is full").
int Refused(const Status& st, int io_code) {
  return st.code() == ErrorCode::kTemporarilyUnavailable ? SQLITE_FULL : io_code;
}

int Close(sqlite3_file* f) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xClose(r);
}
int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xRead(r, buf, n, off);
}
int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  Status st = Self(f)->env->CheckWrite(Self(f)->path, n);
  if (!st.ok()) return Refused(st, SQLITE_IOERR_WRITE);
  sqlite3_file* r = Real(f);
  return r->pMethods->xWrite(r, buf, n, off);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xTruncate(r, size);
}
int Sync(sqlite3_file* f, int flags) {
  Status st = Self(f)->env->CheckSync(Self(f)->path);
  if (!st.ok()) return Refused(st, SQLITE_IOERR_FSYNC);
  sqlite3_file* r = Real(f);
  return r->pMethods->xSync(r, flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xFileSize(r, size);
}
int Lock(sqlite3_file* f, int level) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xLock(r, level);
}
int Unlock(sqlite3_file* f, int level) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xUnlock(r, level);
}
int CheckReservedLock(sqlite3_file* f, int* out) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xCheckReservedLock(r, out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xFileControl(r, op, arg);
}
int SectorSize(sqlite3_file* f) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xSectorSize(r);
}
int DeviceCharacteristics(sqlite3_file* f) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xDeviceCharacteristics(r);
}
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xShmMap(r, region, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xShmLock(r, offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) {
  sqlite3_file* r = Real(f);
  r->pMethods->xShmBarrier(r);
}
int ShmUnmap(sqlite3_file* f, int remove) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xShmUnmap(r, remove);
}
int Fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xFetch(r, off, n, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  sqlite3_file* r = Real(f);
  return r->pMethods->xUnfetch(r, off, p);
}

// The unix VFS's files are version 3 (shared memory for WAL, memory-mapped reads).
const sqlite3_io_methods kMethods = {3,
                                     Close,
                                     Read,
                                     Write,
                                     Truncate,
                                     Sync,
                                     FileSize,
                                     Lock,
                                     Unlock,
                                     CheckReservedLock,
                                     FileControl,
                                     SectorSize,
                                     DeviceCharacteristics,
                                     ShmMap,
                                     ShmLock,
                                     ShmBarrier,
                                     ShmUnmap,
                                     Fetch,
                                     Unfetch};

int Open(sqlite3_vfs* v, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  EnvVfs* ev = Vfs(v);
  EnvFile* self = Self(f);
  self->env = ev->env;
  self->path = name != nullptr ? name : "(a temporary file)";
  sqlite3_file* r = Real(f);
  int rc = ev->real->xOpen(ev->real, name, r, flags, out_flags);
  // xClose is called on a file whose pMethods is set, even after a failed open.
  f->pMethods = r->pMethods != nullptr ? &kMethods : nullptr;
  return rc;
}
int Delete(sqlite3_vfs* v, const char* name, int sync_dir) {
  return Vfs(v)->real->xDelete(Vfs(v)->real, name, sync_dir);
}
int Access(sqlite3_vfs* v, const char* name, int flags, int* out) {
  return Vfs(v)->real->xAccess(Vfs(v)->real, name, flags, out);
}
int FullPathname(sqlite3_vfs* v, const char* name, int n, char* out) {
  return Vfs(v)->real->xFullPathname(Vfs(v)->real, name, n, out);
}
void* DlOpen(sqlite3_vfs* v, const char* name) { return Vfs(v)->real->xDlOpen(Vfs(v)->real, name); }
void DlError(sqlite3_vfs* v, int n, char* out) { Vfs(v)->real->xDlError(Vfs(v)->real, n, out); }
void (*DlSym(sqlite3_vfs* v, void* lib, const char* sym))(void) {
  return Vfs(v)->real->xDlSym(Vfs(v)->real, lib, sym);
}
void DlClose(sqlite3_vfs* v, void* lib) { Vfs(v)->real->xDlClose(Vfs(v)->real, lib); }
int Randomness(sqlite3_vfs* v, int n, char* out) {
  return Vfs(v)->real->xRandomness(Vfs(v)->real, n, out);
}
int Sleep(sqlite3_vfs* v, int us) { return Vfs(v)->real->xSleep(Vfs(v)->real, us); }
int CurrentTime(sqlite3_vfs* v, double* out) {
  return Vfs(v)->real->xCurrentTime(Vfs(v)->real, out);
}
int GetLastError(sqlite3_vfs* v, int n, char* out) {
  return Vfs(v)->real->xGetLastError(Vfs(v)->real, n, out);
}
int CurrentTimeInt64(sqlite3_vfs* v, sqlite3_int64* out) {
  return Vfs(v)->real->xCurrentTimeInt64(Vfs(v)->real, out);
}

std::mutex g_mu;
std::map<Env*, std::unique_ptr<EnvVfs>>& Registered() {  // guarded by g_mu; never shrinks
  static auto* m = new std::map<Env*, std::unique_ptr<EnvVfs>>();
  return *m;
}

}  // namespace

StatusOr<std::string> EnvVfsName(Env* env) {
  if (env == nullptr || env == Env::Default()) return std::string();
  std::lock_guard<std::mutex> lock(g_mu);
  auto& reg = Registered();
  if (auto it = reg.find(env); it != reg.end()) return it->second->name;
  sqlite3_vfs* real = sqlite3_vfs_find("unix");
  if (real == nullptr || real->iVersion < 2) {
    return Internal("SQLite has no \"unix\" VFS (version 2 or later) to wrap");
  }
  auto ev = std::make_unique<EnvVfs>();
  char name[48];
  std::snprintf(name, sizeof name, "mlws-env-%p", static_cast<void*>(env));
  ev->name = name;
  ev->real = real;
  ev->env = env;
  sqlite3_vfs& v = ev->vfs;
  v = sqlite3_vfs{};
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(EnvFile)) + real->szOsFile;
  v.mxPathname = real->mxPathname;
  v.zName = ev->name.c_str();
  v.pAppData = ev.get();
  v.xOpen = Open;
  v.xDelete = Delete;
  v.xAccess = Access;
  v.xFullPathname = FullPathname;
  v.xDlOpen = DlOpen;
  v.xDlError = DlError;
  v.xDlSym = DlSym;
  v.xDlClose = DlClose;
  v.xRandomness = Randomness;
  v.xSleep = Sleep;
  v.xCurrentTime = CurrentTime;
  v.xGetLastError = GetLastError;
  v.xCurrentTimeInt64 = CurrentTimeInt64;
  int rc = sqlite3_vfs_register(&v, /*makeDflt=*/0);
  if (rc != SQLITE_OK)
    return Internal(std::string("cannot register the SQLite VFS shim: ") + sqlite3_errstr(rc));
  std::string out = ev->name;
  reg.emplace(env, std::move(ev));
  return out;
}

}  // namespace mlws::store::sqlite
