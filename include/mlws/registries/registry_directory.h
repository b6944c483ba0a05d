// RegistryDirectory: what the asset layer needs from registries, behind one small interface so
// assets do not depend on how registries are stored or authorized.
//
// A registry's assets live in an internal asset workspace (named kRegistryWorkspacePrefix +
// registry name) that is never listed nor addressable through /api/v1/workspaces/...; the
// registry's files are that workspace's workspaceblobstore. Seen from a workspace, a registry
// asset's files are at azureml://datastores/registry:<reg>/paths/<p>.
//
// Callers: the identity a registry is read for is the thread's current caller (ScopedCaller),
// set for the duration of an API request; work done outside a request (a scheduled job that was
// checked when it was submitted) reads registries without that check.
//
// Thread-safe. Errors: NotFound (no such registry), PermissionDenied (the caller may not read
// it).
#pragma once

#include <string>
#include <string_view>

#include "mlws/assets/asset.h"
#include "mlws/auth/auth_service.h"
#include "mlws/common/status.h"

namespace mlws::registries {

inline constexpr std::string_view kRegistryWorkspacePrefix = "registry:";
inline bool IsRegistryWorkspace(std::string_view ws) {
  return ws.substr(0, kRegistryWorkspacePrefix.size()) == kRegistryWorkspacePrefix;
}
// The datastore name under which a workspace sees registry `reg`'s storage.
inline std::string RegistryDatastore(const std::string& reg) { return "registry:" + reg; }

class RegistryDirectory {
 public:
  virtual ~RegistryDirectory() = default;
  // The asset workspace of `registry`, checking that the current caller may read `kind`
  // assets of it.
  virtual StatusOr<std::string> AssetWorkspace(const std::string& registry,
                                               assets::AssetKind kind) = 0;
};

// The identity of the request the current thread serves (null outside requests).
const auth::Principal* CurrentCaller();

// Sets the current caller for its lifetime (nests).
class ScopedCaller {
 public:
  explicit ScopedCaller(const auth::Principal* who);
  ~ScopedCaller();
  ScopedCaller(const ScopedCaller&) = delete;
  ScopedCaller& operator=(const ScopedCaller&) = delete;

 private:
  const auth::Principal* previous_;
};

}  // namespace mlws::registries
