#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "mlws/tracking/tracking_service.h"

namespace mlws::tracking {

std::string EncodePageToken(std::int64_t offset) {
  std::string raw = "{\"offset\": " + std::to_string(offset) + "}";
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

StatusOr<std::int64_t> DecodePageToken(const std::string& token) {
  if (token.empty()) return 0;
  auto bad = [&] { return InvalidArgument("Invalid page token, could not base64-decode"); };
  if (token.size() % 4 != 0 || token.size() > 1000) return bad();
  std::string raw(token.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                          reinterpret_cast<const unsigned char*>(token.data()),
                          static_cast<int>(token.size()));
  if (n < 0) return bad();
  raw.resize(static_cast<size_t>(n));
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();  // padding bytes
  auto j = nlohmann::json::parse(raw, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("offset") ||
      !j["offset"].is_number_integer() || j["offset"].get<std::int64_t>() < 0) {
    return InvalidArgument("Invalid page token: expected a token returned by a previous search");
  }
  return j["offset"].get<std::int64_t>();
}

}  // namespace mlws::tracking
