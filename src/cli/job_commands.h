// `mlws job …` (command jobs, as `az ml job`), `mlws compute …` and `mlws cost show`.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/client.h"

namespace mlws::cli {

void AddJobCommands(CLI::App& app, Globals& g, int& rc);
void AddComputeCommands(CLI::App& app, Globals& g, int& rc);

}  // namespace mlws::cli
