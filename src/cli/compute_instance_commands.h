// `mlws compute start|stop|restart NAME` for compute instances (docs/compute.md#compute-instances).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/client.h"

namespace mlws::cli {

void AddComputeInstanceVerbs(CLI::App* compute, Globals& g, int& rc);

}  // namespace mlws::cli
