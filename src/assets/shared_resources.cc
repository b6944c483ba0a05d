// SharedResources: server-scope computes and datastores and their grants (link rows) to
// workspaces.
#include "mlws/assets/shared_resources.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "mlws/common/ids.h"
#include "mlws/common/json.h"
#include "mlws/registries/registry_directory.h"

namespace mlws::assets {

using nlohmann::json;

namespace {

Status NoShared(SharedKind kind, const std::string& name) {
  return NotFound(fmt::format("Shared {} '{}' not found.", SharedKindName(kind), name));
}

// Marks a resolved row as the shared resource it is (shown by the API, read by the datastore
// routes to find the credentials).
std::string MarkShared(const std::string& spec_json) {
  json spec = json::parse(spec_json, nullptr, false);
  if (!spec.is_object()) spec = json::object();
  spec["shared"] = true;
  return DumpJson(spec);
}

}  // namespace

std::string_view SharedKindName(SharedKind k) {
  return k == SharedKind::kCompute ? "compute" : "datastore";
}

StatusOr<std::int64_t> SharedResources::WorkspaceId() {
  ASSIGN_OR_RETURN(auto ws, store_.workspaces().GetWorkspace(std::string(kSharedWorkspace)));
  return ws.id;
}

StatusOr<std::int64_t> SharedResources::EnsureWorkspace() {
  auto id = WorkspaceId();
  if (id.ok() || id.status().code() != ErrorCode::kResourceDoesNotExist) return id;
  auto made = store_.workspaces().CreateWorkspace(
      std::string(kSharedWorkspace), "Server-scope computes and datastores (shared resources)");
  if (made.ok()) return made->id;
  if (made.status().code() != ErrorCode::kResourceAlreadyExists) return made.status();
  return WorkspaceId();  // another request (or server) made it first
}

StatusOr<std::string> SharedResources::RowType(std::int64_t ws_id, SharedKind kind,
                                               const std::string& name) {
  if (kind == SharedKind::kCompute) {
    auto c = store_.jobs().GetCompute(ws_id, name);
    if (c.ok()) return c->type;
    if (c.status().code() == ErrorCode::kResourceDoesNotExist) return std::string();
    return c.status();
  }
  auto d = store_.assets().GetDatastore(ws_id, name);
  if (d.ok()) return d->type;
  if (d.status().code() == ErrorCode::kResourceDoesNotExist) return std::string();
  return d.status();
}

StatusOr<std::string> SharedResources::LinkSpec(std::int64_t ws_id, SharedKind kind,
                                                const std::string& name) {
  if (kind == SharedKind::kCompute) {
    ASSIGN_OR_RETURN(jobs::Compute c, store_.jobs().GetCompute(ws_id, name));
    return c.spec_json;
  }
  ASSIGN_OR_RETURN(Datastore d, store_.assets().GetDatastore(ws_id, name));
  return d.spec_json;
}

Status SharedResources::Exists(std::int64_t shared_id, SharedKind kind, const std::string& name) {
  ASSIGN_OR_RETURN(std::string type, RowType(shared_id, kind, name));
  return type.empty() ? NoShared(kind, name) : Status::Ok();
}

Status SharedResources::Grant(SharedKind kind, const std::string& name, const std::string& ws,
                              const std::string& user) {
  auto shared_id = WorkspaceId();
  if (!shared_id.ok()) {
    return shared_id.status().code() == ErrorCode::kResourceDoesNotExist ? NoShared(kind, name)
                                                                         : shared_id.status();
  }
  RETURN_IF_ERROR(Exists(*shared_id, kind, name));
  if (IsSharedWorkspace(ws) || registries::IsRegistryWorkspace(ws)) {
    return NotFound(fmt::format("Workspace '{}' not found.", ws));
  }
  ASSIGN_OR_RETURN(auto target, store_.workspaces().GetWorkspace(ws));
  ASSIGN_OR_RETURN(std::string type, RowType(target.id, kind, name));
  if (type == kSharedLinkType) return Status::Ok();  // granted already
  if (!type.empty()) {
    return Status(ErrorCode::kResourceConflict,
                  fmt::format("Workspace '{}' has its own {} named '{}': delete it before "
                              "granting the shared one.",
                              ws, SharedKindName(kind), name));
  }
  const std::int64_t now = NowMillis();
  const std::string spec = DumpJson(json{{"granted_by", user}, {"granted_at", now}});
  if (kind == SharedKind::kCompute) {
    jobs::Compute link;
    link.workspace_id = target.id;
    link.name = name;
    link.type = std::string(kSharedLinkType);
    link.description = "Shared compute (server scope)";
    link.spec_json = spec;
    link.created_at = now;
    return store_.jobs().CreateCompute(link);
  }
  Datastore link;
  link.name = name;
  link.type = std::string(kSharedLinkType);
  link.description = "Shared datastore (server scope)";
  link.spec_json = spec;
  link.created_at = now;
  link.created_by = user;
  return store_.assets().CreateDatastore(target.id, link).status();
}

Status SharedResources::Revoke(SharedKind kind, const std::string& name, const std::string& ws) {
  auto shared_id = WorkspaceId();
  if (!shared_id.ok()) return NoShared(kind, name);
  RETURN_IF_ERROR(Exists(*shared_id, kind, name));
  auto target = store_.workspaces().GetWorkspace(ws);
  if (target.ok() && !IsSharedWorkspace(ws)) {
    ASSIGN_OR_RETURN(std::string type, RowType(target->id, kind, name));
    if (type == kSharedLinkType) {
      return kind == SharedKind::kCompute ? store_.jobs().DeleteCompute(target->id, name)
                                          : store_.assets().DeleteDatastore(target->id, name);
    }
  }
  return NotFound(fmt::format("Shared {} '{}' is not granted to workspace '{}'.",
                              SharedKindName(kind), name, ws));
}

StatusOr<std::vector<SharedGrant>> SharedResources::Grants(SharedKind kind,
                                                           const std::string& name) {
  auto shared_id = WorkspaceId();
  if (!shared_id.ok()) return NoShared(kind, name);
  RETURN_IF_ERROR(Exists(*shared_id, kind, name));
  ASSIGN_OR_RETURN(auto all, store_.workspaces().ListWorkspaces());
  std::vector<SharedGrant> out;
  for (const auto& w : all) {
    if (w.id == *shared_id || registries::IsRegistryWorkspace(w.name)) continue;
    ASSIGN_OR_RETURN(std::string type, RowType(w.id, kind, name));
    if (type != kSharedLinkType) continue;
    ASSIGN_OR_RETURN(std::string spec_json, LinkSpec(w.id, kind, name));
    json spec = json::parse(spec_json, nullptr, false);
    if (!spec.is_object()) spec = json::object();
    out.push_back(
        {w.name, w.id, spec.value("granted_by", ""), spec.value("granted_at", std::int64_t{0})});
  }
  return out;
}

Status SharedResources::ForgetResource(SharedKind kind, const std::string& name) {
  auto grants = Grants(kind, name);
  if (!grants.ok()) {
    // The resource is gone already: its links are found by scanning the workspaces.
    if (grants.status().code() != ErrorCode::kResourceDoesNotExist) return grants.status();
    ASSIGN_OR_RETURN(auto all, store_.workspaces().ListWorkspaces());
    for (const auto& w : all) {
      ASSIGN_OR_RETURN(std::string type, RowType(w.id, kind, name));
      if (type != kSharedLinkType) continue;
      RETURN_IF_ERROR(kind == SharedKind::kCompute ? store_.jobs().DeleteCompute(w.id, name)
                                                   : store_.assets().DeleteDatastore(w.id, name));
    }
    return Status::Ok();
  }
  for (const auto& g : *grants) RETURN_IF_ERROR(Revoke(kind, name, g.workspace));
  return Status::Ok();
}

StatusOr<jobs::Compute> SharedResources::Resolve(const jobs::Compute& row) {
  if (!IsLink(row)) return row;
  ASSIGN_OR_RETURN(std::int64_t shared_id, WorkspaceId());
  auto c = store_.jobs().GetCompute(shared_id, row.name);
  if (!c.ok()) return NoShared(SharedKind::kCompute, row.name);
  c->spec_json = MarkShared(c->spec_json);
  return c;
}

StatusOr<Datastore> SharedResources::Resolve(const Datastore& row) {
  if (!IsLink(row)) return row;
  ASSIGN_OR_RETURN(std::int64_t shared_id, WorkspaceId());
  auto d = store_.assets().GetDatastore(shared_id, row.name);
  if (!d.ok()) return NoShared(SharedKind::kDatastore, row.name);
  d->spec_json = MarkShared(d->spec_json);
  return d;
}

}  // namespace mlws::assets
