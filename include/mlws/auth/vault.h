// Vault: seals and opens secret values with XChaCha20-Poly1305 (libsodium) under a 256-bit
// master key that never enters the database.
//
// The key comes from MLWS_MASTER_KEY (64 hex characters) when set, else from <home>/master.key,
// created with mode 0600 from the system RNG on first start. A key file readable by others is
// refused. Each value is sealed with a fresh random nonce and bound to its workspace and name as
// associated data, so a ciphertext copied to another row does not open.
// Thread-safe after construction.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "mlws/common/status.h"

namespace mlws::auth {

struct Sealed {
  std::string nonce;
  std::string ciphertext;
};

class Vault {
 public:
  static StatusOr<Vault> Open(const std::string& home);
  Sealed Seal(std::string_view associated, std::string_view plaintext) const;
  StatusOr<std::string> Unseal(std::string_view associated, const Sealed& sealed) const;

 private:
  std::array<unsigned char, 32> key_{};
};

}  // namespace mlws::auth
