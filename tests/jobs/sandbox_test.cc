// The bwrap command line built for a job (src/jobs/sandbox.cc).
#include "mlws/jobs/sandbox.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace mlws::jobs {
namespace {

namespace fs = std::filesystem;

// Index of the first occurrence of the consecutive `seq` in `v`, or -1.
long Find(const std::vector<std::string>& v, const std::vector<std::string>& seq) {
  auto it = std::search(v.begin(), v.end(), seq.begin(), seq.end());
  return it == v.end() ? -1 : static_cast<long>(it - v.begin());
}

SandboxSpec Spec() {
  SandboxSpec s;
  s.bwrap = "/usr/bin/bwrap";
  s.helper = "/opt/mlws/bin/mlws-job-supervisor";
  s.work_dir = "/srv/home/jobs/1/j1/wd";
  s.mounts = {
      {"/srv/home/datastores/d", "/srv/home/jobs/1/j1/inputs/data", false},
      {"/srv/home/jobs/1/j1/named_outputs/model", "/srv/home/jobs/1/j1/named_outputs/model", true}};
  s.uid = 65534;
  s.gid = 65534;
  return s;
}

TEST(SandboxArgv, NamespacesSystemFilesAndOwnProc) {
  auto argv = SandboxArgv(Spec(), {"/bin/bash", "-c", "echo hi"});
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv[0], "/usr/bin/bwrap");
  for (const char* flag : {"--die-with-parent", "--unshare-pid", "--unshare-ipc"}) {
    EXPECT_GE(Find(argv, {flag}), 0) << flag;
  }
  // Never a new session: the job must stay in the supervisor's process group (cancel, timeout).
  EXPECT_EQ(Find(argv, {"--new-session"}), -1);
  EXPECT_EQ(Find(argv, {"--unshare-net"}), -1);  // jobs talk to the server over loopback
  EXPECT_GE(Find(argv, {"--ro-bind", "/usr", "/usr"}), 0);
  EXPECT_GE(Find(argv, {"--ro-bind", "/etc", "/etc"}), 0);
  EXPECT_GE(Find(argv, {"--proc", "/proc"}), 0);
  EXPECT_GE(Find(argv, {"--dev", "/dev"}), 0);
  EXPECT_GE(Find(argv, {"--tmpfs", "/tmp"}), 0);
  // Nothing binds "/" or the server's home as a whole.
  EXPECT_EQ(Find(argv, {"--bind", "/", "/"}), -1);
  EXPECT_EQ(Find(argv, {"--ro-bind", "/srv/home", "/srv/home"}), -1);
  EXPECT_EQ(Find(argv, {"--bind", "/srv/home/jobs/1/j1", "/srv/home/jobs/1/j1"}), -1);
}

TEST(SandboxArgv, WorkDirWritableInputsReadOnlyOutputsWritable) {
  auto argv = SandboxArgv(Spec(), {"/bin/bash", "-c", "true"});
  EXPECT_GE(Find(argv, {"--bind", "/srv/home/jobs/1/j1/wd", "/srv/home/jobs/1/j1/wd"}), 0);
  EXPECT_GE(Find(argv, {"--ro-bind", "/srv/home/datastores/d", "/srv/home/jobs/1/j1/inputs/data"}),
            0);
  EXPECT_GE(Find(argv, {"--bind", "/srv/home/jobs/1/j1/named_outputs/model",
                        "/srv/home/jobs/1/j1/named_outputs/model"}),
            0);
  EXPECT_GE(Find(argv, {"--chdir", "/srv/home/jobs/1/j1/wd"}), 0);
  // The folders leading to the mounts are created reachable (0755) inside, once each.
  long home = Find(argv, {"--perms", "0755", "--dir", "/srv/home"});
  EXPECT_GE(home, 0);
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "/srv/home/jobs/1/j1"), 1);
  EXPECT_LT(home, Find(argv, {"--bind", "/srv/home/jobs/1/j1/wd", "/srv/home/jobs/1/j1/wd"}));
  // The private /tmp comes before any bind below /tmp would.
  EXPECT_LT(Find(argv, {"--tmpfs", "/tmp"}), home);
}

TEST(SandboxArgv, CommandRunsThroughTheHelperAsTheJobUser) {
  auto argv = SandboxArgv(Spec(), {"/bin/bash", "-c", "echo hi"});
  long sep = Find(argv, {"--", "/opt/mlws/bin/mlws-job-supervisor", "--exec-as", "65534", "65534",
                         "--", "/bin/bash", "-c", "echo hi"});
  ASSERT_GE(sep, 0);
  EXPECT_EQ(static_cast<size_t>(sep) + 9, argv.size());  // the command is the tail
  // The helper itself is visible, read-only.
  EXPECT_GE(Find(argv, {"--ro-bind", "/opt/mlws/bin/mlws-job-supervisor",
                        "/opt/mlws/bin/mlws-job-supervisor"}),
            0);
}

TEST(SandboxArgv, ReadOnlyExtrasSkipSystemMissingAndNested) {
  char tmpl[] = "/tmp/sandbox-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  fs::create_directories(dir + "/pyenv/versions/3.11");
  SandboxSpec s = Spec();
  s.uid = s.gid = -1;
  s.read_only = {dir + "/pyenv", dir + "/pyenv/versions/3.11", "/usr/lib/python3", dir + "/nope"};
  auto argv = SandboxArgv(s, {"true"});
  EXPECT_GE(Find(argv, {"--ro-bind", dir + "/pyenv", dir + "/pyenv"}), 0);
  EXPECT_EQ(Find(argv, {"--ro-bind", dir + "/pyenv/versions/3.11", dir + "/pyenv/versions/3.11"}),
            -1);
  EXPECT_EQ(Find(argv, {"--ro-bind", "/usr/lib/python3", "/usr/lib/python3"}), -1);
  EXPECT_EQ(Find(argv, {"--ro-bind", dir + "/nope", dir + "/nope"}), -1);
  EXPECT_GE(Find(argv, {"--exec-as", "-1", "-1", "--", "true"}), 0);
  fs::remove_all(dir);
}

TEST(SystemMountArgs, LinksStayLinksFoldersAreBound) {
  char tmpl[] = "/tmp/sandbox-root-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string root = tmpl;
  fs::create_directories(root + "/lib");
  fs::create_symlink("usr/bin", root + "/bin");
  auto args = SystemMountArgs(root);
  EXPECT_GE(Find(args, {"--symlink", "usr/bin", "/bin"}), 0);
  EXPECT_GE(Find(args, {"--ro-bind", "/lib", "/lib"}), 0);
  EXPECT_EQ(Find(args, {"/sbin"}), -1);  // absent on this root
  fs::remove_all(root);
}

TEST(InterpreterPaths, FindsThePrefixOfThePythonOnPath) {
  char tmpl[] = "/tmp/sandbox-py-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  fs::create_directories(dir + "/venv/bin");
  fs::create_directories(dir + "/base/bin");
  { std::ofstream(dir + "/base/bin/python3.11") << "#!/bin/sh\n"; }
  fs::permissions(dir + "/base/bin/python3.11", fs::perms::owner_all);
  fs::create_symlink(dir + "/base/bin/python3.11", dir + "/venv/bin/python3");
  auto paths = InterpreterPaths("/nonexistent:" + dir + "/venv/bin:/usr/bin", "");
  EXPECT_NE(std::find(paths.begin(), paths.end(), dir + "/venv"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), dir + "/base"), paths.end());
  for (const auto& p : paths) EXPECT_NE(p.rfind("/usr", 0), 0u) << p;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mlws::jobs
