// `mlws doctor`: checks every backend `mlws server` would use with the same flags, one line per
// check ("OK", "FAIL" or "SKIP", what was checked, the cause in plain words), credentials
// masked; the exit status is 1 when any check failed (docs/scale-out.md "mlws doctor").
#pragma once

#include "mlws/server/server.h"

namespace mlws::cli {

int RunDoctor(const server::Config& config);

// `mlws doctor --help`: what doctor does (description) and its checks and exit codes (footer),
// shown above and below the server flags it takes.
extern const char* const kDoctorDescription;
extern const char* const kDoctorFooter;

}  // namespace mlws::cli
