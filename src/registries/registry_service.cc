// RegistryService: registry CRUD, the built-in registry, and assets created in or shared into a
// registry (files copied once into its storage). See include/mlws/registries/registry_service.h.
#include "mlws/registries/registry_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "assets/asset_reference.h"
#include "assets/curated_registry.h"
#include "mlws/common/ids.h"
#include "mlws/common/json.h"
#include "mlws/registries/registry_json.h"
#include "registries/registry_copy.h"

namespace mlws::registries {

namespace {

using assets::Asset;
using assets::AssetKind;
using nlohmann::json;
namespace fs = std::filesystem;

thread_local const auth::Principal* current_caller = nullptr;

// Azure ML's rule: 3 to 33 letters, digits, '-' or '_', starting with a letter or digit.
Status ValidateRegistryName(const std::string& name) {
  bool ok = name.size() >= 3 && name.size() <= 33 &&
            std::isalnum(static_cast<unsigned char>(name[0])) != 0;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_') ok = false;
  }
  if (ok) return Status::Ok();
  return InvalidArgument(fmt::format(
      "Invalid registry name '{}': use 3 to 33 letters, digits, '-' or '_', starting with a "
      "letter or digit.",
      name.substr(0, 100)));
}

const std::set<std::string>& KnownRegistryFields() {
  static const std::set<std::string> kFields = {"$schema",
                                                "name",
                                                "description",
                                                "tags",
                                                "location",
                                                "replication_locations",
                                                "identity",
                                                "public_network_access",
                                                "intellectual_property",
                                                "managed_resource_group",
                                                "container_registry",
                                                "allow_cross_workspace_reuse"};
  return kFields;
}

std::string Scalar(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

json ToDoc(const Registry& r) {
  json doc = RegistryJson(r);
  doc["spec"] = json::parse(r.spec_json, nullptr, false);
  return doc;
}

StatusOr<Registry> FromDoc(const std::string& doc) {
  json j = json::parse(doc, nullptr, false);
  if (!j.is_object()) return Internal("a stored registry does not parse");
  Registry r;
  r.name = j.value("name", "");
  r.description = j.value("description", "");
  r.tags = j.value("tags", std::map<std::string, std::string>{});
  r.location = j.value("location", "");
  r.replication_locations = j.value("replication_locations", std::vector<std::string>{});
  r.allow_cross_workspace_reuse = j.value("allow_cross_workspace_reuse", true);
  r.builtin = j.value("builtin", false);
  r.public_read = j.value("public_read", false);
  r.spec_json = j.contains("spec") ? DumpJson(j["spec"]) : "{}";
  r.created_at = j.value("created_at", std::int64_t{0});
  r.created_by = j.value("created_by", "");
  return r;
}

StatusOr<Registry> RegistryFromSpec(const json& spec) {
  if (!spec.is_object()) return InvalidArgument("the registry spec must be a YAML mapping");
  for (const auto& [k, v] : spec.items()) {
    if (KnownRegistryFields().count(k) == 0) {
      return InvalidArgument(fmt::format("unknown field '{}' in the registry spec", k));
    }
  }
  Registry r;
  if (!spec.contains("name") || !spec["name"].is_string()) {
    return InvalidArgument("the registry spec needs a 'name'");
  }
  r.name = spec["name"].get<std::string>();
  RETURN_IF_ERROR(ValidateRegistryName(r.name));
  if (spec.contains("description")) {
    if (!spec["description"].is_string()) return InvalidArgument("'description' must be text");
    r.description = spec["description"].get<std::string>();
    if (r.description.size() > 5000) return InvalidArgument("description: at most 5000 chars");
  }
  if (spec.contains("tags")) {
    if (!spec["tags"].is_object()) return InvalidArgument("'tags' must be a mapping");
    for (const auto& [k, v] : spec["tags"].items()) r.tags[k] = Scalar(v);
  }
  if (spec.contains("location")) {
    if (!spec["location"].is_string()) return InvalidArgument("'location' must be text");
    r.location = spec["location"].get<std::string>();
  }
  if (spec.contains("replication_locations")) {
    const json& locs = spec["replication_locations"];
    if (!locs.is_array()) return InvalidArgument("'replication_locations' must be a list");
    for (const auto& l : locs) {
      if (!l.is_object() || !l.contains("location") || !l["location"].is_string()) {
        return InvalidArgument(
            "each of 'replication_locations' needs a 'location' (e.g. - location: eastus)");
      }
      r.replication_locations.push_back(l["location"].get<std::string>());
    }
  }
  if (spec.contains("allow_cross_workspace_reuse")) {
    if (!spec["allow_cross_workspace_reuse"].is_boolean()) {
      return InvalidArgument("'allow_cross_workspace_reuse' must be true or false");
    }
    r.allow_cross_workspace_reuse = spec["allow_cross_workspace_reuse"].get<bool>();
  }
  r.spec_json = DumpJson(spec);
  return r;
}

Status NoRegistry(const std::string& name) {
  return NotFound(fmt::format(
      "registry '{}' does not exist (`mlws registry list` shows the registries you may read)",
      name.substr(0, 100)));
}

// The spec fields that name files, per kind.
std::vector<json*> FileFields(AssetKind kind, json& spec) {
  std::vector<json*> out;
  if ((kind == AssetKind::kModel || kind == AssetKind::kData) && spec.contains("path")) {
    out.push_back(&spec["path"]);
  } else if (kind == AssetKind::kComponent && spec.contains("code") && spec["code"].is_string()) {
    out.push_back(&spec["code"]);
  } else if (kind == AssetKind::kEnvironment && spec.contains("build") &&
             spec["build"].is_object() && spec["build"].contains("path")) {
    out.push_back(&spec["build"]["path"]);
  }
  return out;
}

}  // namespace

const auth::Principal* CurrentCaller() { return current_caller; }

ScopedCaller::ScopedCaller(const auth::Principal* who) : previous_(current_caller) {
  current_caller = who;
}

ScopedCaller::~ScopedCaller() { current_caller = previous_; }

RegistryService::RegistryService(store::MetadataStore& store, tracking::TrackingService& tracking,
                                 auth::AuthService& auth, assets::AssetService& assets,
                                 std::string artifacts_root)
    : store_(store),
      tracking_(tracking),
      auth_(auth),
      assets_(assets),
      artifacts_root_(std::move(artifacts_root)) {
  auto blobs = artifacts::OpenBlobStore(artifacts_root_);
  if (blobs.ok()) blobs_ = std::move(*blobs);
}

Status RegistryService::EnsureBuiltin() {
  auto have = Get(kBuiltinRegistry);
  if (!have.ok()) {
    if (have.status().code() != ErrorCode::kResourceDoesNotExist) return have.status();
    Registry r;
    r.name = kBuiltinRegistry;
    r.description = "Curated environments shipped with mlws";
    r.location = "local";
    r.builtin = true;
    r.public_read = true;
    r.spec_json = DumpJson(json{{"name", r.name}});
    r.created_at = NowMillis();
    r.created_by = "mlws";
    auto ws = store_.workspaces().CreateWorkspace(std::string(kRegistryWorkspacePrefix) + r.name,
                                                  DumpJson(ToDoc(r)));
    if (!ws.ok() && ws.status().code() != ErrorCode::kResourceAlreadyExists) return ws.status();
  }
  ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(kBuiltinRegistry));
  for (const Asset& a : assets::CuratedAssets()) {
    if (assets_.Get(ws, a.kind, a.name + ":" + a.version).ok()) continue;
    json spec = json::parse(a.spec_json);
    spec["tags"] = a.tags;
    auto made = assets_.Create(ws, a.kind, DumpJson(spec), "mlws");
    if (!made.ok() && made.status().code() != ErrorCode::kResourceAlreadyExists) {
      return made.status();
    }
  }
  return Status::Ok();
}

StatusOr<Registry> RegistryService::Create(const std::string& spec_json, const std::string& user) {
  json spec = json::parse(spec_json, nullptr, false);
  if (spec.is_discarded()) return InvalidArgument("the registry spec is not valid JSON");
  ASSIGN_OR_RETURN(Registry r, RegistryFromSpec(spec));
  r.created_at = NowMillis();
  r.created_by = user;
  // The registry's record is its asset workspace's description: one row, created atomically.
  auto made = store_.workspaces().CreateWorkspace(std::string(kRegistryWorkspacePrefix) + r.name,
                                                  DumpJson(ToDoc(r)));
  if (!made.ok() && made.status().code() == ErrorCode::kResourceAlreadyExists) {
    return AlreadyExists(fmt::format("Registry '{}' already exists.", r.name));
  }
  if (!made.ok()) return made.status();
  return r;
}

StatusOr<Registry> RegistryService::Get(const std::string& name) {
  if (name.empty() || name.size() > 64) return NoRegistry(name);
  auto ws = store_.workspaces().GetWorkspace(std::string(kRegistryWorkspacePrefix) + name);
  if (!ws.ok()) {
    if (ws.status().code() == ErrorCode::kResourceDoesNotExist) return NoRegistry(name);
    return ws.status();
  }
  return FromDoc(ws->description);
}

StatusOr<std::vector<Registry>> RegistryService::List(const auth::Principal& who) {
  ASSIGN_OR_RETURN(auto all, store_.workspaces().ListWorkspaces());
  std::vector<Registry> out;
  for (const auto& w : all) {
    if (!IsRegistryWorkspace(w.name)) continue;
    ASSIGN_OR_RETURN(Registry r, FromDoc(w.description));
    if (Authorize(who, r.name, "registries/read").ok()) out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(),
            [](const Registry& a, const Registry& b) { return a.name < b.name; });
  return out;
}

Status RegistryService::Delete(const std::string& name) {
  ASSIGN_OR_RETURN(Registry r, Get(name));
  if (r.builtin) {
    return InvalidArgument(
        fmt::format("'{}' is the built-in registry and cannot be deleted.", name));
  }
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceIdOf(name));
  const std::string reg_ws = std::string(kRegistryWorkspacePrefix) + name;
  // Its files are in the bucket when the server's artifacts are, else in the local folder.
  auto files =
      assets_.Locate(reg_ws, assets::MakeDatastoreUri(assets::kDefaultDatastore, "Shared"));
  RETURN_IF_ERROR(tracking_.DeleteWorkspace(reg_ws));
  auth_.ForgetWorkspace(wid);
  artifacts::BlobStore* store = files.ok() && files->remote() ? files->blobs.get() : blobs_.get();
  if (store != nullptr) (void)store->DeletePrefix(std::to_string(wid) + "/");
  return Status::Ok();
}

StatusOr<std::string> RegistryService::WorkspaceOf(const std::string& name) {
  ASSIGN_OR_RETURN(Registry r, Get(name));
  return std::string(kRegistryWorkspacePrefix) + r.name;
}

StatusOr<std::int64_t> RegistryService::WorkspaceIdOf(const std::string& name) {
  ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(name));
  return tracking_.WorkspaceId(ws);
}

Status RegistryService::Authorize(const auth::Principal& who, const std::string& name,
                                  std::string_view action) {
  ASSIGN_OR_RETURN(Registry r, Get(name));
  const bool read = action.size() >= 5 && action.substr(action.size() - 5) == "/read";
  if (r.public_read && read) return Status::Ok();
  ASSIGN_OR_RETURN(std::int64_t wid, WorkspaceIdOf(name));
  Status st = auth_.Authorize(who, action, wid);
  if (st.ok() || st.code() != ErrorCode::kPermissionDenied) return st;
  return Status(ErrorCode::kPermissionDenied,
                fmt::format("User '{}' may not {} registry '{}' ('{}' needs a role on the "
                            "registry: AzureML Registry User to read and use its assets, "
                            "Contributor or Owner to create and share).",
                            who.name, read ? "read" : "write to", name, action));
}

StatusOr<std::string> RegistryService::AssetWorkspace(const std::string& registry, AssetKind kind) {
  ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(registry));
  if (const auth::Principal* who = CurrentCaller()) {
    RETURN_IF_ERROR(
        Authorize(*who, registry, fmt::format("registries/{}/read", assets::CollectionName(kind))));
  }
  return ws;
}

StatusOr<std::string> RegistryService::CopyIn(const std::string& ws, const std::string& reg_ws,
                                              const std::string& uri,
                                              const std::string& dest_folder) {
  if (uri.rfind("runs:/", 0) == 0 || uri.rfind("azureml://jobs/", 0) == 0) {
    return InvalidArgument(fmt::format(
        "'{}' names a run's files: register the model from its files (a datastore path) before "
        "putting it in a registry",
        uri.substr(0, 300)));
  }
  ASSIGN_OR_RETURN(assets::DatastoreUri d, assets::ParseDatastoreUri(uri));
  std::string src_ws = ws;
  std::string src_uri = uri;
  if (d.datastore.rfind(std::string(kRegistryWorkspacePrefix), 0) == 0) {
    ASSIGN_OR_RETURN(src_ws, WorkspaceOf(d.datastore.substr(kRegistryWorkspacePrefix.size())));
    src_uri = assets::MakeDatastoreUri(assets::kDefaultDatastore, d.path);
  } else if (ws.empty()) {
    return InvalidArgument(fmt::format(
        "'{}' lies in a workspace: name the workspace its files are in (from_workspace, the "
        "CLI's -w)",
        uri.substr(0, 300)));
  }
  // Both ends wherever they are (a local folder or the bucket): files are copied store to
  // store, blob to blob when both are in blob stores.
  ASSIGN_OR_RETURN(assets::DatastoreLocation from, assets_.Locate(src_ws, src_uri));
  const std::string upload_prefix = std::string(assets::kUploadFolder) + "/";
  std::string dest_path;  // inside the registry's workspaceblobstore
  std::string dest_root;  // where the copied file or folder goes
  bool upload = false;
  if (d.datastore == assets::kDefaultDatastore && d.path.rfind(upload_prefix, 0) == 0) {
    // Uploads are content-addressed: an identical upload is copied once.
    std::string hash = d.path.substr(upload_prefix.size(), 64);
    dest_path = d.path;
    ASSIGN_OR_RETURN(bool have, assets_.HasUpload(reg_ws, hash));
    if (have) return assets::MakeDatastoreUri(assets::kDefaultDatastore, dest_path);
    ASSIGN_OR_RETURN(from, assets_.Locate(src_ws, assets::UploadUri(hash)));
    dest_root = upload_prefix + hash;
    upload = true;
  }
  ASSIGN_OR_RETURN(assets::PathKind kind, assets::StatPath(from));
  if (kind == assets::PathKind::kMissing) {
    return NotFound(fmt::format("'{}' does not exist in workspace '{}'", uri, src_ws));
  }
  if (!upload) {
    std::string name = d.path;
    while (!name.empty() && name.back() == '/') name.pop_back();
    name = name.substr(name.find_last_of('/') + 1);
    dest_path =
        kind == assets::PathKind::kFolder || name.empty() ? dest_folder : dest_folder + "/" + name;
    dest_root = dest_path;
  }
  ASSIGN_OR_RETURN(
      assets::DatastoreLocation to,
      assets_.Locate(reg_ws, assets::MakeDatastoreUri(assets::kDefaultDatastore, dest_root)));
  Status st = CopyPath(from, to);
  if (st.ok() && upload && to.remote()) {
    // The upload's "complete" marker, as AssetService writes it, after its last file.
    auto marker = artifacts::StringReader(dest_root.substr(upload_prefix.size()));
    st = to.blobs->Put(assets::UploadMarkerKey(to.key), *marker);
  }
  if (!st.ok()) {
    (void)assets::DeletePath(to);
    return st;
  }
  return assets::MakeDatastoreUri(assets::kDefaultDatastore, dest_path);
}

StatusOr<Asset> RegistryService::CreateIn(const std::string& registry, AssetKind kind, json spec,
                                          const std::string& from_ws, const std::string& user) {
  ASSIGN_OR_RETURN(std::string reg_ws, WorkspaceOf(registry));
  if (!spec.is_object()) return InvalidArgument("the asset spec must be a JSON object");
  const std::string name = spec.value("name", "");
  std::string version;
  if (spec.contains("version")) version = Scalar(spec["version"]);
  if (!name.empty() && !version.empty() && assets_.Get(reg_ws, kind, name + ":" + version).ok()) {
    return AlreadyExists(
        fmt::format("{} {}:{} already exists in registry '{}': nothing was "
                    "copied (choose another version)",
                    assets::KindName(kind), name, version, registry));
  }
  if (kind == AssetKind::kComponent && spec.contains("environment") &&
      spec["environment"].is_string()) {
    std::string env = spec["environment"].get<std::string>();
    if (!assets_.Get(reg_ws, AssetKind::kEnvironment, env).ok()) {
      return InvalidArgument(fmt::format(
          "component {} uses environment '{}', which is not in registry '{}': share the "
          "environment first (mlws environment share ... --registry-name {}) and name it as "
          "azureml://registries/{}/environments/<name>/versions/<version>",
          name, env, registry, registry, registry));
    }
  }
  const std::string dest = fmt::format("Shared/{}/{}/{}", assets::CollectionName(kind),
                                       name.empty() ? "unnamed" : name, NewRunId());
  for (json* field : FileFields(kind, spec)) {
    if (!field->is_string()) continue;
    std::string uri = field->get<std::string>();
    if (uri.rfind("azureml://", 0) != 0) continue;  // https:// etc. are kept as they are
    ASSIGN_OR_RETURN(std::string copied, CopyIn(from_ws, reg_ws, uri, dest));
    *field = copied;
  }
  return assets_.Create(reg_ws, kind, DumpJson(spec), user);
}

StatusOr<Asset> RegistryService::CreateAsset(const std::string& registry, AssetKind kind,
                                             const std::string& spec_json,
                                             const std::string& from_ws, const std::string& user) {
  json spec = json::parse(spec_json, nullptr, false);
  if (spec.is_discarded()) return InvalidArgument("the asset spec is not valid JSON");
  if (!from_ws.empty()) {
    ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(from_ws));
    (void)wid;
  }
  return CreateIn(registry, kind, std::move(spec), from_ws, user);
}

StatusOr<Asset> RegistryService::Share(const ShareRequest& r, const std::string& user) {
  if (r.name.empty() || r.version.empty()) {
    return InvalidArgument("share needs the asset's --name and --version");
  }
  ASSIGN_OR_RETURN(Registry reg, Get(r.registry));
  ASSIGN_OR_RETURN(Asset src, assets_.Get(r.workspace, r.kind, r.name + ":" + r.version));
  json spec = json::parse(src.spec_json, nullptr, false);
  if (!spec.is_object()) return Internal("the stored asset's spec does not parse");
  spec["name"] = r.share_with_name.empty() ? src.name : r.share_with_name;
  spec["version"] = r.share_with_version.empty() ? src.version : r.share_with_version;
  if (spec.contains("path") && r.kind != AssetKind::kComponent) spec["path"] = src.path;
  json props = spec.value("properties", json::object());
  props["azureml.sharedFrom.workspace"] = r.workspace;
  props["azureml.sharedFrom.name"] = src.name;
  props["azureml.sharedFrom.version"] = src.version;
  if (!src.source_run_id.empty()) props["azureml.sharedFrom.runId"] = src.source_run_id;
  spec["properties"] = props;
  if (src.kind == AssetKind::kModel) spec["type"] = src.type;
  return CreateIn(reg.name, r.kind, std::move(spec), r.workspace, user);
}

json RegistryJson(const Registry& r) {
  return json{{"name", r.name},
              {"description", r.description},
              {"tags", r.tags},
              {"location", r.location},
              {"replication_locations", r.replication_locations},
              {"allow_cross_workspace_reuse", r.allow_cross_workspace_reuse},
              {"builtin", r.builtin},
              {"public_read", r.public_read},
              {"created_at", r.created_at},
              {"created_by", r.created_by}};
}

}  // namespace mlws::registries
