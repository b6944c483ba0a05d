// `mlws registry create|list|show|delete`: registries, from Azure ML's registry YAML.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/client.h"

namespace mlws::cli {

void AddRegistryCommands(CLI::App& app, Globals& g, int& rc);

}  // namespace mlws::cli
