// `mlws online-endpoint …` and `mlws online-deployment …`, as `az ml`.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/client.h"

namespace mlws::cli {

void AddEndpointCommands(CLI::App& app, Globals& g, int& rc);

}  // namespace mlws::cli
