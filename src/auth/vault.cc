#include "mlws/auth/vault.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace mlws::auth {

namespace {

bool ParseHexKey(std::string_view hex, std::array<unsigned char, 32>& key) {
  if (hex.size() != 64) return false;
  size_t len = 0;
  return sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &len, nullptr) ==
             0 &&
         len == key.size();
}

Status ReadOrCreateKeyFile(const std::string& path, std::array<unsigned char, 32>& key) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    randombytes_buf(key.data(), key.size());
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Internal("cannot create the master key file " + path);
    bool ok =
        ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return Internal("cannot write the master key file " + path);
    return Status::Ok();
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
    ::close(fd);
    return Status(ErrorCode::kPermissionDenied, "the master key file " + path +
                                                    " must not be readable by group or others "
                                                    "(chmod 600)");
  }
  ssize_t n = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(key.size())) {
    return Internal("the master key file " + path + " is not 32 bytes");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Vault> Vault::Open(const std::string& home) {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  Vault v;
  const char* env = std::getenv("MLWS_MASTER_KEY");
  if (env != nullptr && *env != '\0') {
    if (!ParseHexKey(env, v.key_)) {
      return InvalidArgument("MLWS_MASTER_KEY must be 64 hexadecimal characters (32 bytes)");
    }
    return v;
  }
  RETURN_IF_ERROR(ReadOrCreateKeyFile(home + "/master.key", v.key_));
  return v;
}

Sealed Vault::Seal(std::string_view associated, std::string_view plaintext) const {
  Sealed s;
  s.nonce.resize(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  randombytes_buf(s.nonce.data(), s.nonce.size());
  s.ciphertext.resize(plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(s.ciphertext.data()), &len,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(associated.data()), associated.size(), nullptr,
      reinterpret_cast<const unsigned char*>(s.nonce.data()), key_.data());
  s.ciphertext.resize(len);
  return s;
}

StatusOr<std::string> Vault::Unseal(std::string_view associated, const Sealed& s) const {
  if (s.nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
      s.ciphertext.size() < crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return Internal("a stored secret is malformed");
  }
  std::string out(s.ciphertext.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &len, nullptr,
          reinterpret_cast<const unsigned char*>(s.ciphertext.data()), s.ciphertext.size(),
          reinterpret_cast<const unsigned char*>(associated.data()), associated.size(),
          reinterpret_cast<const unsigned char*>(s.nonce.data()), key_.data()) != 0) {
    return Internal(
        "a stored secret cannot be decrypted: the master key differs from the one "
        "it was sealed with, or the row was tampered with");
  }
  out.resize(len);
  return out;
}

}  // namespace mlws::auth
