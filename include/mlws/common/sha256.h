// SHA-256 as lower-case hex (content hashes, cache keys). Not thread-safe per instance.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mlws {

// Incremental: Update() any number of times, then HexDigest() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* data, size_t size);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  std::string HexDigest();

 private:
  void* ctx_;  // EVP_MD_CTX
};

// The digest of `data`, 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace mlws
