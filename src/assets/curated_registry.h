// The built-in registry "azureml": curated environments named as Azure ML's, defined as
// ordinary environment specs (built like any other on first use).
#pragma once

#include <vector>

#include "mlws/assets/asset.h"

namespace mlws::assets {

inline constexpr const char* kCuratedRegistry = "azureml";

// Every asset of the built-in registry (version "1" of each, the latest).
const std::vector<Asset>& CuratedAssets();

}  // namespace mlws::assets
