// The `mlws server` flags of the HTTP front door: deadlines, connection caps, threads, origins.
#pragma once

#include <CLI/CLI.hpp>

#include "mlws/server/server.h"

namespace mlws::cli {

void AddFrontDoorOptions(CLI::App* server, server::Config& cfg);

}  // namespace mlws::cli
