// `mlws model|data|environment|component|datastore …`: the workspace's versioned assets and its
// datastores, from Azure ML YAML specs.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/client.h"

namespace mlws::cli {

void AddAssetCommands(CLI::App& app, Globals& g, int& rc);

}  // namespace mlws::cli
