// SecretService: the workspace secrets vault. Values are sealed by the Vault before they are
// stored, never logged, and never returned by List. Names follow the environment-variable rules
// ([A-Za-z_][A-Za-z0-9_-]*, at most 128), values at most 64 KiB. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "mlws/auth/vault.h"
#include "mlws/store/metadata_store.h"

namespace mlws::auth {

struct SecretInfo {
  std::string name;
  std::int64_t creation_time = 0;
  std::int64_t update_time = 0;
};

class SecretService {
 public:
  SecretService(store::MetadataStore& store, Vault vault) : store_(store), vault_(vault) {}

  Status Set(std::int64_t workspace_id, const std::string& name, const std::string& value);
  StatusOr<std::string> Get(std::int64_t workspace_id, const std::string& name);
  StatusOr<std::vector<SecretInfo>> List(std::int64_t workspace_id);
  Status Delete(std::int64_t workspace_id, const std::string& name);

  // Replaces every "${{secrets.NAME}}" in `text` with the secret's value, for the moment a job or
  // a datastore connection needs it (never earlier, never stored expanded). A reference to a
  // missing secret is NotFound naming it; a malformed reference is InvalidArgument.
  StatusOr<std::string> Expand(std::int64_t workspace_id, const std::string& text);

 private:
  store::MetadataStore& store_;
  Vault vault_;
};

}  // namespace mlws::auth
