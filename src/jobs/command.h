// Running a short external command (a Slurm client tool) and collecting what it printed.
// Thread-safe (each call owns its process and pipes).
#pragma once

#include <spawn.h>

#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::jobs {

struct CommandResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs argv[0] (looked up on PATH when it has no '/') with `env` ("NAME=value") and stdin from
// /dev/null, waiting at most `timeout_ms` (then SIGKILL). Unavailable when the program cannot be
// started or timed out, naming it; a non-zero exit is a result, not an error.
StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& env, int timeout_ms);

// Initializes `attr` for a child with an empty signal mask and SIGPIPE, SIGTERM and SIGINT at
// their defaults (the server ignores or handles them). The caller destroys it.
void InitSpawnAttributes(posix_spawnattr_t* attr);

// `s` quoted for a POSIX shell: 'it'\''s'.
std::string ShellQuote(const std::string& s);

}  // namespace mlws::jobs
