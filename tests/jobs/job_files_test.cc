// Reading a job's folder safely (src/jobs/job_files.cc).
#include "jobs/job_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "mlws/common/json.h"
#include "mlws/common/strings.h"

namespace mlws::jobs {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/job-files-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(DumpJson, InvalidUtf8NeverThrows) {
  nlohmann::json j = {{"notes", {std::string("outputs/\xff")}}};
  std::string out;
  EXPECT_NO_THROW(out = DumpJson(j));
  EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_THROW((void)j.dump(), nlohmann::json::type_error);  // what used to crash the server
}

TEST(PortableName, RejectsInvalidUtf8AndControlCharacters) {
  EXPECT_TRUE(PortableName("outputs/model.pkl"));
  EXPECT_TRUE(PortableName("r\xC3\xA9sultat/\xE2\x82\xAC.txt"));
  EXPECT_FALSE(PortableName("\xff"));
  EXPECT_FALSE(PortableName("a\nb"));
  EXPECT_FALSE(PortableName("\xC0\xAF"));      // overlong '/'
  EXPECT_FALSE(PortableName("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(PortableName("\xE2\x82"));      // truncated
  EXPECT_EQ(ToValidUtf8("a\xff"
                        "b"),
            "a\xEF\xBF\xBD"
            "b");
}

TEST(RedactTokens, MasksWholeTokensKeepingOffsets) {
  std::string token = "mlws_" + std::string(43, 'A');
  std::string log = "MLWS_TOKEN=" + token + "\nmlws_short\n";
  std::string masked = log;
  RedactTokens(masked);
  EXPECT_EQ(masked.size(), log.size());
  EXPECT_EQ(masked.find(token), std::string::npos);
  EXPECT_NE(masked.find("mlws_" + std::string(43, '*')), std::string::npos);
  EXPECT_NE(masked.find("mlws_short"), std::string::npos);
}

TEST(SafeChunkEnd, StopsBeforeAPartialToken) {
  EXPECT_EQ(SafeChunkEnd("hello\n"), 6u);
  EXPECT_EQ(SafeChunkEnd("x=mlws_abc"), 2u);
  EXPECT_EQ(SafeChunkEnd("x=mlw"), 2u);
  EXPECT_EQ(SafeChunkEnd("x=mlws_abc done"), 15u);
}

TEST(OpenInside, RefusesLinksAnywhereBelowTheRoot) {
  TempDir t;
  Write(t.path() / "secret", "key");
  Write(t.path() / "out" / "ok.txt", "fine");
  fs::create_symlink(t.path() / "secret", t.path() / "out" / "link");
  fs::create_directories(t.path() / "out" / "d");
  fs::create_directory_symlink(t.path(), t.path() / "out" / "dirlink");
  auto ok = OpenInside(t.path() / "out", "ok.txt");
  ASSERT_TRUE(ok.ok());
  close(*ok);
  EXPECT_FALSE(OpenInside(t.path() / "out", "link").ok());
  EXPECT_FALSE(OpenInside(t.path() / "out", "dirlink/secret").ok());
  EXPECT_FALSE(OpenInside(t.path() / "out", "../secret").ok());
  EXPECT_FALSE(OpenInside(t.path() / "out", "d").ok());  // not a regular file
  // The root itself must not be a link either.
  fs::create_directory_symlink(t.path() / "out", t.path() / "outlink");
  EXPECT_FALSE(OpenInside(t.path() / "outlink", "ok.txt").ok());
}

TEST(ListRealFiles, SkipsLinksAndUnportableNames) {
  TempDir t;
  Write(t.path() / "a.txt", "1");
  Write(t.path() / "sub" / "b.txt", "22");
  Write(t.path() / "\xff", "bad");
  fs::create_symlink("/etc/passwd", t.path() / "passwd");
  fs::create_directory_symlink("/etc", t.path() / "etc");
  std::vector<std::string> skipped;
  auto files = ListRealFiles(t.path(), &skipped);
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.rel);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a.txt", "sub/b.txt"}));
  EXPECT_EQ(skipped.size(), 3u);
  for (const auto& s : skipped) EXPECT_TRUE(PortableName(s)) << s;
}

TEST(LastLines, ReadsTheTailButNotThroughALink) {
  TempDir t;
  Write(t.path() / "log", "1\n2\n3\n");
  EXPECT_EQ(LastLines(t.path() / "log", 2), "2\n3");
  Write(t.path() / "key", "secret");
  fs::create_symlink(t.path() / "key", t.path() / "link");
  EXPECT_EQ(LastLines(t.path() / "link", 2), "");
}

TEST(BumpCounterFile, CountsAttempts) {
  TempDir t;
  EXPECT_EQ(BumpCounterFile(t.path() / "n"), 0);
  EXPECT_EQ(BumpCounterFile(t.path() / "n"), 1);
  EXPECT_EQ(BumpCounterFile(t.path() / "n"), 2);
}

}  // namespace
}  // namespace mlws::jobs
