// Identifier generation. Thread-safe.
#pragma once

#include <string>

namespace mlws {

// 32 lowercase hex characters from a cryptographic RNG (MLflow's run id format: uuid4 hex).
std::string NewRunId();

// A random human-friendly run name, "adjective-animal-123", as MLflow generates.
std::string NewRunName();

// Milliseconds since the Unix epoch.
long long NowMillis();

}  // namespace mlws
