// libFuzzer target: the request decoding path every RPC goes through (query strings,
// percent-decoding, JSON bodies and the typed accessors, key/value lists).
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/mlflow_json.h"
#include "mlws/api/request_decoder.h"
#include "mlws/http/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  mlws::http::Request req;
  req.method = (data[0] & 1) ? "GET" : "POST";
  if (req.method == "GET") {
    (void)mlws::http::ParseQueryString(input, req.query);
    (void)mlws::http::PercentDecode(input, false);
  } else {
    req.body = input;
  }
  auto d = mlws::api::RequestDecoder::From(req);
  if (!d.ok()) return 0;
  for (const char* f : {"run_id", "name", "experiment_ids", "max_results", "tags", "metrics"}) {
    (void)d->OptionalString(f);
    (void)d->OptionalInt(f);
    (void)d->OptionalBool(f);
    (void)d->StringList(f);
    (void)mlws::api::ParseKeyValues(d->Json(f), f, false);
    const auto& j = d->Json(f);
    (void)mlws::api::JsonToDouble(j, f);
    (void)mlws::api::JsonToInt64(j, f);
  }
  return 0;
}
