// SecretStore: persistence of sealed secrets (the store never sees plaintext).
// Thread-safe; writes durable on return. Errors: NotFound, Internal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::store {

struct SealedSecret {
  std::string name;
  std::string nonce;       // raw bytes
  std::string ciphertext;  // raw bytes, includes the authentication tag
  std::int64_t creation_time = 0;
  std::int64_t update_time = 0;
};

class SecretStore {
 public:
  virtual ~SecretStore() = default;
  // Creates or replaces.
  virtual Status PutSecret(std::int64_t workspace_id, const SealedSecret& secret) = 0;
  virtual StatusOr<SealedSecret> GetSecret(std::int64_t workspace_id, const std::string& name) = 0;
  // Names and times only: nonce and ciphertext are left empty.
  virtual StatusOr<std::vector<SealedSecret>> ListSecrets(std::int64_t workspace_id) = 0;
  virtual Status DeleteSecret(std::int64_t workspace_id, const std::string& name) = 0;
};

}  // namespace mlws::store
