// The metadata backends the conformance suite runs against, each giving a fresh, empty database
// per test: "sqlite" (a file in a temp folder) and "postgres" (a new database in one throwaway
// PostgreSQL 15 cluster per test process, started by scripts/pg.sh and stopped at exit; or the
// cluster MLWS_TEST_PG_URI names, as scripts/test.sh provides).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "mlws/common/ids.h"
#include "mlws/store/run_store.h"

namespace mlws::store::testing {

// A new run for a test, in experiment `exp` of workspace `ws`, with a fresh id.
inline NewRun TestNewRun(std::int64_t ws, const std::string& exp = "0") {
  NewRun nr;
  nr.workspace_id = ws;
  nr.experiment_id = exp;
  nr.run_id = NewRunId();
  nr.run_name = "r";
  nr.start_time = 1;
  nr.artifact_uri = "mlflow-artifacts:/0/" + nr.run_id + "/artifacts";
  return nr;
}

// Where scripts/pg.sh is: found from the test binary upward (build/<type>/tests/mlws_tests).
inline std::string FindPgScript() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  for (auto dir = p.parent_path(); !dir.empty() && dir != dir.parent_path();
       dir = dir.parent_path()) {
    if (std::filesystem::exists(dir / "scripts" / "pg.sh")) return (dir / "scripts/pg.sh").string();
  }
  return "";
}

// The server URI of the shared cluster (no database part), or why there is none.
class PgCluster {
 public:
  static PgCluster& Get() {
    static PgCluster c;
    return c;
  }
  const std::optional<std::string>& base_uri() const { return uri_; }
  const std::string& why_not() const { return why_not_; }

  // A URI naming a new, empty database in the cluster.
  std::string NewDatabase() {
    std::string name = "mlws_t_" + NewRunId().substr(0, 16);
    std::string cmd =
        "psql -q -X '" + *uri_ + "/postgres' -c 'CREATE DATABASE " + name + "' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return "";
    return *uri_ + "/" + name;
  }

 private:
  PgCluster() {
    if (const char* env = std::getenv("MLWS_TEST_PG_URI"); env != nullptr && *env != '\0') {
      uri_ = StripDatabase(env);
      return;
    }
    if (!std::filesystem::exists("/usr/lib/postgresql/15/bin/initdb")) {
      why_not_ = "PostgreSQL 15 binaries are absent (/usr/lib/postgresql/15/bin/initdb)";
      return;
    }
    std::string script = FindPgScript();
    if (script.empty()) {
      why_not_ = "scripts/pg.sh not found above the test binary";
      return;
    }
    dir_ = (std::filesystem::temp_directory_path() / ("mlws-pg-unit-" + NewRunId())).string();
    script_ = script;
    std::string cmd = script + " start " + dir_ + " 2>&1";
    FILE* f = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[512];
    while (f != nullptr && std::fgets(buf, sizeof buf, f) != nullptr) out += buf;
    int rc = f != nullptr ? ::pclose(f) : -1;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    if (rc != 0 || out.rfind("postgresql://", 0) != 0) {
      // Binaries present but the cluster did not start: that is a failure, not a skip.
      ADD_FAILURE() << "scripts/pg.sh start failed: " << out;
      why_not_ = "the cluster did not start";
      return;
    }
    uri_ =
        StripDatabase(out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1));
  }
  ~PgCluster() {
    if (!dir_.empty()) (void)std::system((script_ + " stop " + dir_ + " >/dev/null 2>&1").c_str());
  }
  static std::string StripDatabase(std::string uri) {
    size_t slash = uri.find('/', uri.find("://") + 3);
    if (slash != std::string::npos) uri.resize(slash);
    return uri;
  }

  std::optional<std::string> uri_;
  std::string why_not_;
  std::string dir_, script_;
};

// A fresh store URI for `backend`, or "" after GTEST_SKIP/ADD_FAILURE explained why not.
// `dir` is the test's temp folder (SQLite puts its file there).
inline std::string FreshStoreUri(const std::string& backend, const std::filesystem::path& dir) {
  if (backend == "sqlite") return "sqlite:///" + (dir / "db.sqlite").string();
  PgCluster& c = PgCluster::Get();
  if (!c.base_uri()) return "";
  std::string uri = c.NewDatabase();
  if (uri.empty()) ADD_FAILURE() << "cannot create a database in " << *c.base_uri();
  return uri;
}

// For a fixture's SetUp: a new temp folder in `*dir` and a fresh store URI for `backend` in
// `*uri`; `*uri` stays "" after GTEST_SKIP (no PostgreSQL here) or a failure, and SetUp returns.
inline void FreshBackend(const std::string& backend, const std::string& tag,
                         std::filesystem::path* dir, std::string* uri) {
  *dir = std::filesystem::temp_directory_path() / ("mlws-" + tag + "-" + NewRunId());
  std::filesystem::create_directories(*dir);
  if (backend == "postgres" && !PgCluster::Get().base_uri()) {
    GTEST_SKIP() << "PostgreSQL half skipped: " << PgCluster::Get().why_not();
  }
  *uri = FreshStoreUri(backend, *dir);
  ASSERT_FALSE(uri->empty());
}

inline std::string BackendName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace mlws::store::testing
