// JSON rendering of assets and datastores for the /api/v1 asset routes.
#pragma once

#include <nlohmann/json.hpp>

#include "mlws/assets/asset_service.h"

namespace mlws::api {

nlohmann::json ToJson(const assets::Asset& a);
nlohmann::json ToJson(const assets::Datastore& d);
nlohmann::json ToJson(const assets::RunRef& r);

// JSON Schemas of what the ToJson overloads above render (components of /api/v1/openapi.json;
// tests validate real responses against them, so a field added here or there must be added to
// both).
nlohmann::json AssetSchema();
nlohmann::json DatastoreSchema();
nlohmann::json RunRefSchema();

}  // namespace mlws::api
