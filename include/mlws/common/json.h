// JSON text from nlohmann::json that cannot throw: strings that are not valid UTF-8 (a name read
// from an old database, a file name a job wrote) are rendered with U+FFFD in place of the bad
// bytes instead of raising type_error.316. Every JSON rendering on the server goes through here.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace mlws {

// `indent` < 0: compact, as nlohmann's dump().
std::string DumpJson(const nlohmann::json& j, int indent = -1);

}  // namespace mlws
