// SharedResources: computes and datastores at server scope (docs/shared-resources.md), attached
// once by a server Owner and granted to chosen workspaces, which then see and use them as their
// own.
//
// Storage: shared computes and datastores are ordinary computes and datastores of one internal
// workspace, kSharedWorkspace, which is never listed nor addressable through
// /api/v1/workspaces/...; its vault holds the shared datastores' credentials (a granted
// workspace's jobs and datastore routes use them; nobody reads them back). A grant is a link row
// in the granted workspace: a compute or datastore of type kSharedLinkType and the shared
// resource's name, so it goes with the workspace when the workspace is deleted, and a name can
// mean one thing only in a workspace.
//
// Resolution: a workspace's row of a name is used as it is, or, when it is a link, replaced by
// the shared resource, marked "shared": true in its spec_json (which is how the API shows it and
// how a shared datastore's credentials are looked up in the shared vault). Ungranted workspaces
// have no row: NotFound, as for any name they do not have.
//
// Thread-safe (stateless over the store). Errors: NotFound (unknown resource, workspace or
// grant), ResourceConflict (the workspace has its own resource of that name), Internal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mlws/assets/asset.h"
#include "mlws/common/status.h"
#include "mlws/jobs/job.h"
#include "mlws/store/metadata_store.h"

namespace mlws::assets {

inline constexpr std::string_view kSharedWorkspace = "shared:server";
inline bool IsSharedWorkspace(std::string_view ws) { return ws == kSharedWorkspace; }
// The type of a grant's link row.
inline constexpr std::string_view kSharedLinkType = "shared";

enum class SharedKind { kCompute, kDatastore };
std::string_view SharedKindName(SharedKind k);  // "compute" | "datastore"

struct SharedGrant {
  std::string workspace;
  std::int64_t workspace_id = 0;
  std::string granted_by;
  std::int64_t granted_at = 0;
};

class SharedResources {
 public:
  explicit SharedResources(store::MetadataStore& store) : store_(store) {}

  // The shared workspace's id, creating the workspace on first use.
  StatusOr<std::int64_t> EnsureWorkspace();
  // Its id when it exists (NotFound before the first shared resource).
  StatusOr<std::int64_t> WorkspaceId();

  // Grants shared resource `name` to workspace `ws` (idempotent).
  Status Grant(SharedKind kind, const std::string& name, const std::string& ws,
               const std::string& user);
  // NotFound when it was not granted.
  Status Revoke(SharedKind kind, const std::string& name, const std::string& ws);
  // The workspaces `name` is granted to, by name.
  StatusOr<std::vector<SharedGrant>> Grants(SharedKind kind, const std::string& name);
  // Drops every grant of `name` (once the resource is deleted).
  Status ForgetResource(SharedKind kind, const std::string& name);

  // A workspace's row -> what it stands for: itself, or the shared resource a link names.
  StatusOr<jobs::Compute> Resolve(const jobs::Compute& row);
  StatusOr<Datastore> Resolve(const Datastore& row);
  static bool IsLink(const jobs::Compute& c) { return c.type == kSharedLinkType; }
  static bool IsLink(const Datastore& d) { return d.type == kSharedLinkType; }

 private:
  // Whether the shared resource exists (NotFound naming it otherwise).
  Status Exists(std::int64_t shared_id, SharedKind kind, const std::string& name);
  // The row of `name` in workspace `ws_id`: its type, or "" when there is none.
  StatusOr<std::string> RowType(std::int64_t ws_id, SharedKind kind, const std::string& name);
  // The link row's spec (granted_by, granted_at).
  StatusOr<std::string> LinkSpec(std::int64_t ws_id, SharedKind kind, const std::string& name);

  store::MetadataStore& store_;
};

}  // namespace mlws::assets
