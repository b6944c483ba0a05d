#include "mlws/common/json.h"

#include <nlohmann/json.hpp>

namespace mlws {

std::string DumpJson(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mlws
