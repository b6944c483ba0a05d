#include "mlws/common/ids.h"

#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <cstdint>

namespace mlws {

std::string NewRunId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    // The CSPRNG failing is an environment failure we cannot recover from meaningfully.
    std::abort();
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;  // uuid version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80;  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return out;
}

std::string NewRunName() {
  static constexpr std::array<const char*, 24> kAdjectives = {
      "able",   "bold",   "brave", "bright", "calm",  "clever", "crisp", "eager",
      "fast",   "gentle", "glad",  "grand",  "keen",  "kind",   "lucid", "merry",
      "nimble", "proud",  "quick", "quiet",  "sharp", "silent", "swift", "wise"};
  static constexpr std::array<const char*, 24> kAnimals = {
      "ant",  "bat",  "bear", "bee",  "cat",  "crab", "crow",  "deer",
      "dove", "duck", "eel",  "fox",  "frog", "goat", "hawk",  "hen",
      "lark", "lynx", "mole", "moth", "owl",  "seal", "snail", "wolf"};
  unsigned char r[4];
  if (RAND_bytes(r, sizeof(r)) != 1) std::abort();
  return std::string(kAdjectives[r[0] % kAdjectives.size()]) + "-" +
         kAnimals[r[1] % kAnimals.size()] + "-" + std::to_string((r[2] << 8 | r[3]) % 1000);
}

long long NowMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace mlws
