// `mlws routes`: the server's route table with the action each route needs and the decision of
// every built-in role. Works offline (no server needed): it prints the table compiled in.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/client.h"

namespace mlws::cli {

void AddRoutesCommand(CLI::App& app, Globals& g);

}  // namespace mlws::cli
