// Renders runs as MLflow's JSON straight into a string, byte for byte what
// Dump(ToJson(run)) gives (keys in the same sorted order, numbers formatted alike), without
// building a nlohmann tree: for search and create-run the tree and its serialisation were
// more than half of the request's CPU time. Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "mlws/tracking/entities.h"

namespace mlws::api {

// Appends `s` as a JSON string (quoted, escaped; invalid UTF-8 replaced as Dump does).
void AppendJsonString(std::string& out, std::string_view s);
// Appends ToJson(run) as Dump renders it.
void AppendRunJson(std::string& out, const tracking::Run& run);

}  // namespace mlws::api
