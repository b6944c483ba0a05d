#include "mlws/auth/passwords.h"

#include <argon2.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace mlws::auth {

namespace {
// OWASP's recommended minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
constexpr uint32_t kTimeCost = 2;
constexpr uint32_t kMemoryKiB = 19 * 1024;
constexpr uint32_t kLanes = 1;
constexpr size_t kSaltLen = 16;
constexpr size_t kHashLen = 32;
}  // namespace

Status ValidatePassword(std::string_view password) {
  if (password.size() < 8) return InvalidArgument("Passwords must have at least 8 characters.");
  if (password.size() > 1024)
    return InvalidArgument("Passwords must have at most 1024 characters.");
  return Status::Ok();
}

StatusOr<std::string> HashPassword(std::string_view password) {
  unsigned char salt[kSaltLen];
  if (RAND_bytes(salt, sizeof(salt)) != 1) return Internal("random generator failed");
  size_t len = argon2_encodedlen(kTimeCost, kMemoryKiB, kLanes, kSaltLen, kHashLen, Argon2_id);
  std::string encoded(len, '\0');
  int rc = argon2id_hash_encoded(kTimeCost, kMemoryKiB, kLanes, password.data(), password.size(),
                                 salt, sizeof(salt), kHashLen, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return Internal(std::string("argon2 failed: ") + argon2_error_message(rc));
  encoded.resize(encoded.find('\0') == std::string::npos ? encoded.size() : encoded.find('\0'));
  return encoded;
}

bool VerifyPassword(const std::string& encoded, std::string_view password) {
  if (encoded.empty()) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string NewTokenSecret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out = "mlws_";
  // 256 bits as 43 base64url characters (6 bits each).
  unsigned int acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      out += kAlphabet[(acc >> (bits - 6)) & 63];
      bits -= 6;
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

std::array<unsigned char, 32> Sha256Of(std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

}  // namespace mlws::auth
