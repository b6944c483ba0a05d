// Validation of asset specs (Azure ML's YAML schemas as JSON): the known fields of each kind,
// names and versions by Azure ML's rules.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "mlws/assets/asset.h"
#include "mlws/common/status.h"

namespace mlws::assets {

// Checks the fields of `spec` and fills name, version ("" when absent), type, description, tags,
// properties, path and spec_json. References and paths are checked by the service.
StatusOr<Asset> AssetFromSpec(AssetKind kind, const nlohmann::json& spec);

// Letters, digits, '-', '_', '.', starting with a letter or digit, at most 255 characters;
// components: lower-case letters, digits and '_', starting with a letter.
Status ValidateAssetName(AssetKind kind, const std::string& name);
// Letters, digits, '-', '_', '.', starting with a letter or digit, at most 30; models: a
// positive integer (MLflow registry numbering).
Status ValidateAssetVersion(AssetKind kind, const std::string& version);

}  // namespace mlws::assets
