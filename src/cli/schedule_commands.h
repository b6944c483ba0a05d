// `mlws schedule …` (as `az ml schedule`): schedules that create jobs on a clock.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/client.h"

namespace mlws::cli {

void AddScheduleCommands(CLI::App& app, Globals& g, int& rc);

}  // namespace mlws::cli
