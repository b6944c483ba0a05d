// MLflow protobuf-JSON for the model registry entities (defaults omitted, version as string).
#pragma once

#include <nlohmann/json.hpp>

#include "mlws/assets/entities.h"

namespace mlws::api {

nlohmann::json ToJson(const assets::ModelVersion& v);
nlohmann::json ToJson(const assets::RegisteredModel& m);

}  // namespace mlws::api
