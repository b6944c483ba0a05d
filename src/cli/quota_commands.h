// `mlws quota show|set` (docs/quotas.md) and `mlws cost show` (node-seconds × price, and cost
// over time by experiment, user, compute or workspace per day/week/month).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/client.h"

namespace mlws::cli {

void AddQuotaCommands(CLI::App& app, Globals& g, int& rc);
void AddCostCommands(CLI::App& app, Globals& g, int& rc);

}  // namespace mlws::cli
