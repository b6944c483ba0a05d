// A registry as the API renders it (GET /api/v1/registries/{reg}); the stored document adds its
// original spec to these fields.
#pragma once

#include <nlohmann/json.hpp>

#include "mlws/registries/registry_service.h"

namespace mlws::registries {

nlohmann::json RegistryJson(const Registry& r);

}  // namespace mlws::registries
