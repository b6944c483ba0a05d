// CLI verbs for the workspace secrets vault: mlws secret set|list|show|delete.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/client.h"

namespace mlws::cli {

void AddSecretCommands(CLI::App& app, Globals& g, int& rc);

}  // namespace mlws::cli
