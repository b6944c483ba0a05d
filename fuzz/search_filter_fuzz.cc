// libFuzzer target for the search filter / order_by parsers (mlws/tracking/search_filter.h).
// Feeds the input to every Parse* function and checks the contract: no crash, no hang, errors are
// InvalidArgument with a short message, and every accepted clause is well-formed.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "mlws/tracking/search_filter.h"

namespace {

using mlws::ErrorCode;
using mlws::StatusOr;
using mlws::tracking::Clause;
using mlws::tracking::Comparator;
using mlws::tracking::OrderBy;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckError(const mlws::Status& status) {
  Check(status.code() == ErrorCode::kInvalidParameterValue);
  Check(!status.message().empty());
  // Echoed input is excerpted, so messages stay small whatever the input size.
  Check(status.message().size() < 1024);
}

void CheckFilter(const StatusOr<std::vector<Clause>>& result) {
  if (!result.ok()) return CheckError(result.status());
  for (const Clause& c : *result) {
    Check(!c.key.empty());
    const bool list_op = c.op == Comparator::kIn || c.op == Comparator::kNotIn;
    Check(list_op == !c.list.empty());
    if (c.is_numeric) Check(!std::isnan(c.number) && !list_op);
  }
}

void CheckOrderBy(const StatusOr<OrderBy>& result) {
  if (!result.ok()) return CheckError(result.status());
  Check(!result->key.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckFilter(mlws::tracking::ParseRunFilter(input));
  CheckFilter(mlws::tracking::ParseExperimentFilter(input));
  CheckFilter(mlws::tracking::ParseRegisteredModelFilter(input));
  CheckFilter(mlws::tracking::ParseModelVersionFilter(input));
  CheckOrderBy(mlws::tracking::ParseRunOrderBy(input));
  CheckOrderBy(mlws::tracking::ParseExperimentOrderBy(input));
  CheckOrderBy(mlws::tracking::ParseRegistryOrderBy(input, false));
  CheckOrderBy(mlws::tracking::ParseRegistryOrderBy(input, true));
  return 0;
}
