#include "server/resident_trim.h"

#include <malloc.h>
#include <sys/mman.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace mlws::server {

namespace {

// One mapping of /proc/self/smaps: its range, permissions, path and how many of its resident
// kilobytes are anonymous (pages the process wrote: copy-on-write copies of file pages).
struct Mapping {
  unsigned long lo = 0, hi = 0;
  std::string perms, path;
  long anonymous_kb = -1;  // -1: not read (yet)
};

// File pages that can be dropped and read back unchanged: a mapping of a file that cannot be
// written through (no 'w') and holds no copy-on-write pages. That is code (r-xp), read-only data
// (r--p, but not the relocation-written RELRO pages, which are anonymous), and read-only shared
// maps such as SQLite's memory-mapped database (r--s), whose pages are the file's own.
bool Droppable(const Mapping& m) {
  return !m.path.empty() && m.path[0] == '/' && m.perms.size() == 4 && m.perms[1] == '-' &&
         m.anonymous_kb == 0;
}

void Drop(const Mapping& m) {
  if (!Droppable(m)) return;
  void* addr = reinterpret_cast<void*>(m.lo);  // NOLINT: an address read from /proc/self/smaps
  madvise(addr, m.hi - m.lo, MADV_DONTNEED);
}

}  // namespace

void TrimResidentMemory() {
  malloc_trim(0);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  Mapping m;
  while (std::getline(smaps, line)) {
    unsigned long lo = 0, hi = 0;
    char perms[8] = {};
    unsigned long offset = 0;
    int path_at = 0;
    // A mapping's header; the "Key: value" lines after it do not scan as one.
    if (std::sscanf(line.c_str(), "%lx-%lx %7s %lx %*s %*s %n", &lo, &hi, perms, &offset,
                    &path_at) >= 4) {
      Drop(m);
      m = Mapping{lo, hi, perms, path_at > 0 ? line.substr(static_cast<std::size_t>(path_at)) : "",
                  -1};
      continue;
    }
    long kb = 0;
    if (std::sscanf(line.c_str(), "Anonymous: %ld kB", &kb) == 1) m.anonymous_kb = kb;
  }
  Drop(m);
}

}  // namespace mlws::server
