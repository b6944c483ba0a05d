// EnvironmentBuilder: turns an environment asset into something a process can run in.
//
// An environment with a conda_file (its pip section; conda packages other than python/pip are
// reported and ignored) or a pip requirements file (build.path/requirements.txt, or
// "pip_requirements") is built into a Python virtualenv once per content hash of the resolved
// requirements, under <envs_root>/<hash>/ (venv/, build.log). The build is shared by every job
// and deployment that uses it and only redone when the requirements change; concurrent callers
// needing the same new environment wait for one build. A failed build keeps its log and is
// retried on the next use.
//
// An image-only environment runs on the host interpreter (no container runtime is configured);
// the result says so in `note`.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "mlws/assets/asset.h"
#include "mlws/common/status.h"

namespace mlws::assets {

struct BuiltEnvironment {
  std::string bin_dir;   // put first on PATH ("" = host PATH unchanged)
  std::string python;    // the interpreter to use
  std::string hash;      // content hash of the requirements ("" for the host interpreter)
  std::string log_path;  // the build log ("" when nothing was built)
  bool host_interpreter = false;
  std::string note;  // e.g. "image python:3.11 ignored: no container runtime configured"
};

class EnvironmentBuilder {
 public:
  // `envs_root`: where venvs live; `python`: the interpreter venvs are created from.
  EnvironmentBuilder(std::string envs_root, std::string python = "python3");
  ~EnvironmentBuilder();
  EnvironmentBuilder(const EnvironmentBuilder&) = delete;
  EnvironmentBuilder& operator=(const EnvironmentBuilder&) = delete;

  // Builds (or finds) the environment; blocks until ready. `files_root`: the local folder that
  // holds the environment's uploaded files (conda_file / build context), "" if none. Errors:
  // FailedPrecondition "environment build failed: … (log: <path>)".
  StatusOr<BuiltEnvironment> Ensure(const Asset& environment, const std::string& files_root);
  // <envs_root>/<hash>/build.log (hash checked to be 64 hex digits).
  StatusOr<std::string> LogPath(const std::string& hash) const;

  // Builds run user-chosen code (pip runs packages' build scripts), so where a sandbox exists
  // they run through it: the wrapper turns a command into the sandboxed command that may write
  // only `writable_dir` (the build's folder). Set once at start, before the first build.
  using CommandWrapper = std::function<std::vector<std::string>(
      const std::vector<std::string>& command, const std::string& writable_dir)>;
  void SetSandbox(CommandWrapper wrapper);

 private:
  struct State;
  State* state_;
};

}  // namespace mlws::assets
