// Azure's Windows time zone names ("Pacific Standard Time") → IANA zones. Data, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mlws::schedules {

// The IANA zone for a Windows zone name (exact, case-sensitive as Azure writes them).
std::optional<std::string> WindowsToIana(std::string_view windows_name);

}  // namespace mlws::schedules
