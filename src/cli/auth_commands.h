// CLI verbs for identities and access: login, user, token, role, role-assignment, audit.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/client.h"

namespace mlws::cli {

// Adds the verbs to `app`; they set `rc` to 1 on failure.
void AddAuthCommands(CLI::App& app, Globals& g, int& rc);

}  // namespace mlws::cli
