#include "server/resident_trim.h"

#include <malloc.h>
#include <sys/mman.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace mlws::server {

void TrimResidentMemory() {
  malloc_trim(0);
  // Only read-only, executable, file-backed mappings (code): their pages are never written,
  // so dropping them loses nothing. Data and relocated read-only pages are left alone.
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long lo = 0, hi = 0;
    char perms[8] = {};
    unsigned long offset = 0;
    int path_at = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx %7s %lx %*s %*s %n", &lo, &hi, perms, &offset,
                    &path_at) < 4) {
      continue;
    }
    std::string path = path_at > 0 ? line.substr(static_cast<std::size_t>(path_at)) : "";
    if (std::string(perms) != "r-xp" || path.empty() || path[0] != '/') continue;
    void* addr = reinterpret_cast<void*>(lo);  // NOLINT: an address read from /proc/self/maps
    madvise(addr, hi - lo, MADV_DONTNEED);
  }
}

}  // namespace mlws::server
