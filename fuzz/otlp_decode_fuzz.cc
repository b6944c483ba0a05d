// libFuzzer target for the OTLP trace export decoders (mlws/tracking/otlp.h): feeds the input
// to the protobuf and the JSON decoder and checks the contract: no crash, no hang, errors are
// InvalidArgument with a short message, and every accepted span has 16/8-byte ids.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mlws/tracking/otlp.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckResult(const mlws::StatusOr<std::vector<mlws::tracking::OtlpSpan>>& r) {
  if (!r.ok()) {
    Check(r.status().code() == mlws::ErrorCode::kInvalidParameterValue);
    Check(!r.status().message().empty() && r.status().message().size() < 1024);
    return;
  }
  Check(r->size() <= mlws::tracking::kMaxOtlpSpans);
  for (const auto& s : *r) {
    Check(s.trace_id.size() == 16 && s.span_id.size() == 8);
    Check(s.parent_span_id.empty() || s.parent_span_id.size() == 8);
    Check(s.attributes.is_object());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckResult(mlws::tracking::DecodeOtlpProtobuf(input));
  CheckResult(mlws::tracking::DecodeOtlpJson(input));
  return 0;
}
