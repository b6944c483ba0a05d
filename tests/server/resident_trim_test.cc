#include "server/resident_trim.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace mlws::server {
namespace {

constexpr std::size_t kPages = 64;

// Resident kilobytes of the mapping that starts at `addr` (/proc/self/smaps), -1 if none does.
long ResidentKb(const void* addr) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in = false;
  while (std::getline(smaps, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(' ') < line.find(':')) {
      in = lo == reinterpret_cast<unsigned long>(addr);
      continue;
    }
    long kb = 0;
    if (in && std::sscanf(line.c_str(), "Rss: %ld kB", &kb) == 1) return kb;
  }
  return -1;
}

class ResidentTrim : public ::testing::Test {
 protected:
  void SetUp() override {
    page_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    path_ = std::filesystem::temp_directory_path() / ("mlws-trim-" + std::to_string(getpid()));
    std::ofstream f(path_, std::ios::binary);
    for (std::size_t i = 0; i < kPages * page_; ++i) f.put(static_cast<char>('a' + i % 26));
    f.close();
    fd_ = open(path_.c_str(), O_RDONLY);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override {
    if (fd_ >= 0) close(fd_);
    std::filesystem::remove(path_);
  }
  char* Map(int prot, int flags) {
    void* p = mmap(nullptr, kPages * page_, prot, flags, fd_, 0);
    EXPECT_NE(p, MAP_FAILED);
    return static_cast<char*>(p);
  }
  long Touch(const char* p) {
    long sum = 0;
    for (std::size_t i = 0; i < kPages; ++i) sum += p[i * page_];
    return sum;
  }

  std::size_t page_ = 4096;
  std::filesystem::path path_;
  int fd_ = -1;
};

// Read-only file pages (code, read-only data, a read-only shared map like SQLite's database
// mmap) leave the resident set and read back unchanged.
TEST_F(ResidentTrim, DropsReadOnlyFilePagesAndTheyReadBackTheSame) {
  char* priv = Map(PROT_READ, MAP_PRIVATE);
  char* shared = Map(PROT_READ, MAP_SHARED);
  long sum = Touch(priv);
  EXPECT_EQ(Touch(shared), sum);
  ASSERT_GT(ResidentKb(priv), 0);
  ASSERT_GT(ResidentKb(shared), 0);
  TrimResidentMemory();
  EXPECT_EQ(ResidentKb(priv), 0);
  EXPECT_EQ(ResidentKb(shared), 0);
  EXPECT_EQ(Touch(priv), sum);
  EXPECT_EQ(Touch(shared), sum);
  munmap(priv, kPages * page_);
  munmap(shared, kPages * page_);
}

// A private file mapping the process wrote before making it read-only (as the loader does with
// relocated data) holds copies that exist nowhere else: it is kept as it is.
TEST_F(ResidentTrim, KeepsWrittenPagesOfReadOnlyMappings) {
  char* p = Map(PROT_READ | PROT_WRITE, MAP_PRIVATE);
  p[0] = '#';
  p[5 * page_] = '!';
  ASSERT_EQ(mprotect(p, kPages * page_, PROT_READ), 0);
  long before = ResidentKb(p);
  TrimResidentMemory();
  EXPECT_EQ(p[0], '#');
  EXPECT_EQ(p[5 * page_], '!');
  EXPECT_EQ(ResidentKb(p), before);
  munmap(p, kPages * page_);
}

}  // namespace
}  // namespace mlws::server
