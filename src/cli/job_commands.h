// `mlws job …` (command jobs, as `az ml job`) and `mlws compute …` (`mlws cost`: quota_commands.h).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/client.h"
#include "cli/spec_file.h"

namespace mlws::cli {

void AddJobCommands(CLI::App& app, Globals& g, int& rc);
void AddComputeCommands(CLI::App& app, Globals& g, int& rc);
// A job spec as `job create` sends it: local code and input paths uploaded, default experiment
// name filled (schedules and sweeps reuse it).
StatusOr<nlohmann::json> PrepareJobSpec(const Globals& g, const SpecFile& f);

}  // namespace mlws::cli
