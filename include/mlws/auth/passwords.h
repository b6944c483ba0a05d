// Password hashing with argon2id (RFC 9106) and token secrets. Thread-safe.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "mlws/common/status.h"

namespace mlws::auth {

// An argon2id encoded hash ("$argon2id$v=19$m=...") with a random salt.
StatusOr<std::string> HashPassword(std::string_view password);
bool VerifyPassword(const std::string& encoded, std::string_view password);
// Passwords must be 8 to 1024 characters.
Status ValidatePassword(std::string_view password);

// A new API token secret: "mlws_" + 43 base64url characters (256 random bits).
std::string NewTokenSecret();
std::array<unsigned char, 32> Sha256Of(std::string_view data);

}  // namespace mlws::auth
