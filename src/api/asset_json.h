// JSON rendering of assets and datastores for the /api/v1 asset routes.
#pragma once

#include <nlohmann/json.hpp>

#include "mlws/assets/asset_service.h"

namespace mlws::api {

nlohmann::json ToJson(const assets::Asset& a);
nlohmann::json ToJson(const assets::Datastore& d);
nlohmann::json ToJson(const assets::RunRef& r);

}  // namespace mlws::api
