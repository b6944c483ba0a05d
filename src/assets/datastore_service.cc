// AssetService, the storage half: datastores (local folders and S3 records), datastore path
// resolution, browsing, and content-addressed uploads into the default datastore.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "assets/asset_reference.h"
#include "assets/asset_spec.h"
#include "mlws/assets/asset_service.h"
#include "mlws/assets/shared_resources.h"
#include "mlws/common/ids.h"
#include "mlws/common/json.h"

namespace mlws::assets {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::int64_t kMaxUploadFiles = 200000;
constexpr std::int64_t kMaxUploadBytes = 100LL << 30;  // 100 GiB unpacked
// An upload may unpack to at most this many times its compressed size (once past the floor): a
// few kilobytes of zstd cannot become gigabytes on the server's disk.
constexpr std::int64_t kMaxExpansionRatio = 100;
constexpr std::int64_t kExpansionFloorBytes = 64LL << 20;

bool Within(const fs::path& root, const fs::path& p) {
  auto r = root.lexically_normal().generic_string();
  auto q = p.lexically_normal().generic_string();
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return q == r || q.rfind(r + "/", 0) == 0;
}

void SyncDir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

Datastore BuiltinBlobstore() {
  Datastore d;
  d.name = kDefaultDatastore;
  d.type = "local";
  d.description = "The workspace's own storage (uploads of local files land here).";
  d.is_default = true;
  d.spec_json = "{}";
  d.created_by = "mlws";
  return d;
}

}  // namespace

StatusOr<Datastore> AssetService::CreateDatastore(const std::string& ws,
                                                  const std::string& spec_json,
                                                  const std::string& user) {
  json spec = json::parse(spec_json, nullptr, false);
  if (spec.is_discarded() || !spec.is_object()) {
    return BadRequest("the datastore spec is not a JSON object");
  }
  static const std::set<std::string> kKnown = {
      "$schema", "name",   "type",         "description",        "tags",   "path",
      "bucket",  "prefix", "endpoint_url", "credentials_secret", "region", "is_default"};
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    if (it.key() == "credentials" || it.key() == "account_key" || it.key() == "secret_access_key" ||
        it.key() == "access_key_id") {
      return InvalidArgument(fmt::format(
          "field '{}': datastore credentials are never given inline; store them with `mlws "
          "secret set` and name the secret in 'credentials_secret'",
          it.key()));
    }
    if (kKnown.count(it.key()) == 0) {
      return InvalidArgument(fmt::format("unknown field '{}' in the datastore spec", it.key()));
    }
    if (it.key() != "tags" && it.key() != "is_default" && !it->is_string()) {
      return InvalidArgument(fmt::format("field '{}' must be a string", it.key()));
    }
  }
  auto str = [&](const char* f) -> std::string {
    auto it = spec.find(f);
    return it != spec.end() && it->is_string() ? it->get<std::string>() : "";
  };
  Datastore d;
  d.name = str("name");
  RETURN_IF_ERROR(ValidateAssetName(AssetKind::kData, d.name));
  if (d.name == kDefaultDatastore) {
    return AlreadyExists(fmt::format("Datastore '{}' already exists.", d.name));
  }
  d.type = str("type");
  d.description = str("description");
  d.created_by = user;
  d.created_at = NowMillis();
  if (spec.contains("is_default")) {
    if (!spec["is_default"].is_boolean()) return InvalidArgument("is_default must be true/false");
    d.is_default = spec["is_default"].get<bool>();
  }
  json out = json::object();
  if (d.type == "local") {
    std::string path = str("path");
    if (path.empty() || path.front() != '/') {
      return InvalidArgument("a local datastore needs 'path': an absolute folder on the server");
    }
    std::error_code ec;
    fs::path canon = fs::canonical(path, ec);
    if (ec || !fs::is_directory(canon, ec)) {
      return InvalidArgument(
          fmt::format("local datastore path '{}' is not a folder on the server", path));
    }
    bool allowed = false;
    for (const auto& root : paths_.allowed_local_roots) {
      fs::path r = fs::weakly_canonical(root, ec);
      if (Within(r, canon)) allowed = true;
    }
    if (!allowed) {
      std::string roots;
      for (const auto& r : paths_.allowed_local_roots) roots += (roots.empty() ? "" : ", ") + r;
      return Status(ErrorCode::kPermissionDenied,
                    fmt::format("local datastore path '{}' is outside the folders the server "
                                "allows ({}); the server's --local-datastore-root sets them",
                                path, roots));
    }
    out["path"] = canon.string();
  } else if (d.type == "s3") {
    std::string bucket = str("bucket");
    bool ok = bucket.size() >= 3 && bucket.size() <= 63 &&
              std::all_of(bucket.begin(), bucket.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
              });
    if (!ok) {
      return InvalidArgument(fmt::format(
          "invalid S3 bucket name '{}': 3 to 63 lower-case letters, digits, '-' and '.'", bucket));
    }
    out["bucket"] = bucket;
    std::string prefix = str("prefix");
    if (prefix.find("..") != std::string::npos) return InvalidArgument("prefix must not hold '..'");
    out["prefix"] = prefix;
    std::string endpoint = str("endpoint_url");
    if (!endpoint.empty() && endpoint.rfind("http://", 0) != 0 &&
        endpoint.rfind("https://", 0) != 0) {
      return InvalidArgument("endpoint_url must be an http:// or https:// URL");
    }
    out["endpoint_url"] = endpoint;
    out["region"] = str("region");
    std::string secret = str("credentials_secret");
    if (!secret.empty()) {
      ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
      auto s = store_.secrets().GetSecret(wid, secret);
      if (!s.ok()) {
        return NotFound(
            fmt::format("credentials_secret '{}' is not a secret of this workspace "
                        "(create it with `mlws secret set`)",
                        secret));
      }
    }
    out["credentials_secret"] = secret;
  } else {
    return InvalidArgument(fmt::format(
        "datastore type '{}' is not supported: mlws datastores are 'local' (a folder on the "
        "server) or 's3' (an S3-compatible bucket)",
        d.type));
  }
  d.spec_json = DumpJson(out);
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.assets().CreateDatastore(wid, d);
}

StatusOr<Datastore> AssetService::GetDatastore(const std::string& ws, const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  if (name == kDefaultDatastore) {
    Datastore d = BuiltinBlobstore();
    ASSIGN_OR_RETURN(auto all, store_.assets().ListDatastores(wid));
    for (const auto& o : all) {
      if (o.is_default) d.is_default = false;
    }
    return d;
  }
  ASSIGN_OR_RETURN(Datastore d, store_.assets().GetDatastore(wid, name));
  return SharedResources(store_).Resolve(d);  // a granted shared datastore (shared_resources.h)
}

StatusOr<std::vector<Datastore>> AssetService::ListDatastores(const std::string& ws) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto all, store_.assets().ListDatastores(wid));
  for (auto it = all.begin(); it != all.end();) {  // grants -> the shared datastores
    auto resolved = SharedResources(store_).Resolve(*it);
    if (resolved.ok()) {
      *it++ = *resolved;
    } else {
      it = all.erase(it);
    }
  }
  Datastore blob = BuiltinBlobstore();
  for (const auto& o : all) {
    if (o.is_default) blob.is_default = false;
  }
  all.insert(
      std::lower_bound(all.begin(), all.end(), blob,
                       [](const Datastore& a, const Datastore& b) { return a.name < b.name; }),
      blob);
  return all;
}

Status AssetService::DeleteDatastore(const std::string& ws, const std::string& name) {
  if (name == kDefaultDatastore) {
    return InvalidArgument(
        fmt::format("'{}' is the workspace's own storage and cannot be deleted", name));
  }
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(Datastore d, store_.assets().GetDatastore(wid, name));
  if (SharedResources::IsLink(d)) {
    return InvalidArgument(fmt::format(
        "'{}' is a shared datastore granted to workspace '{}': a server Owner revokes it (`mlws "
        "datastore revoke {} -w {}`).",
        name, ws, name, ws));
  }
  const std::string prefix = MakeDatastoreUri(name, "");
  for (AssetKind k : {AssetKind::kModel, AssetKind::kData}) {
    store::AssetQuery q;
    q.workspace_id = wid;
    q.kind = k;
    q.all_versions = true;
    q.include_archived = true;
    ASSIGN_OR_RETURN(auto list, store_.assets().ListAssets(q));
    for (const auto& a : list) {
      if (a.path.rfind(prefix, 0) == 0 || a.path == prefix.substr(0, prefix.size() - 7)) {
        return Status(ErrorCode::kResourceConflict,
                      fmt::format("datastore '{}' is used by {} {}:{}; delete or move those "
                                  "assets first",
                                  name, KindName(k), a.name, a.version));
      }
    }
  }
  return store_.assets().DeleteDatastore(wid, d.name);
}

StatusOr<std::string> AssetService::LocalPath(const std::string& ws,
                                              const std::string& datastore_uri) {
  ASSIGN_OR_RETURN(DatastoreUri u, ParseDatastoreUri(datastore_uri));
  const std::string reg_prefix(registries::kRegistryWorkspacePrefix);
  if (u.datastore.rfind(reg_prefix, 0) == 0 && registries_ != nullptr) {
    // A registry's storage (registry_directory.h): its asset workspace's own blob store.
    ASSIGN_OR_RETURN(
        std::string reg_ws,
        registries_->AssetWorkspace(u.datastore.substr(reg_prefix.size()), AssetKind::kData));
    (void)ws;
    return LocalPath(reg_ws, MakeDatastoreUri(kDefaultDatastore, u.path));
  }
  ASSIGN_OR_RETURN(Datastore d, GetDatastore(ws, u.datastore));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  fs::path root;
  if (d.name == kDefaultDatastore) {
    root = fs::path(paths_.artifacts_root) / std::to_string(wid) / "datastores" / kDefaultDatastore;
  } else if (d.type == "local") {
    json spec = json::parse(d.spec_json, nullptr, false);
    root = spec.value("path", "");
  } else {
    return Status(ErrorCode::kNotImplemented,
                  fmt::format("datastore '{}' is of type {}: this server reads S3 datastores "
                              "once the S3 transport is configured (not available yet)",
                              d.name, d.type));
  }
  fs::path p = u.path.empty() ? root : root / u.path;
  // Symlinks inside the datastore must not lead out of it.
  std::error_code ec;
  fs::path real = fs::weakly_canonical(p, ec);
  fs::path real_root = fs::weakly_canonical(root, ec);
  if (!Within(real_root, real)) {
    return InvalidArgument(fmt::format("'{}' leads outside datastore '{}'", datastore_uri, d.name));
  }
  return p.string();
}

StatusOr<std::vector<DatastoreFile>> AssetService::ListDatastoreFiles(const std::string& ws,
                                                                      const std::string& datastore,
                                                                      const std::string& path) {
  ASSIGN_OR_RETURN(std::string local, LocalPath(ws, MakeDatastoreUri(datastore, path)));
  std::error_code ec;
  auto st = fs::status(local, ec);
  if (ec || !fs::exists(st)) {
    return NotFound(fmt::format("'{}' does not exist in datastore '{}'", path, datastore));
  }
  std::vector<DatastoreFile> out;
  if (!fs::is_directory(st)) {
    out.push_back({"", false, static_cast<std::int64_t>(fs::file_size(local, ec))});
    return out;
  }
  for (const auto& e : fs::directory_iterator(local, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(".incoming-", 0) == 0) continue;
    bool dir = e.is_directory(ec);
    out.push_back({name, dir, dir ? 0 : static_cast<std::int64_t>(e.file_size(ec))});
  }
  std::sort(out.begin(), out.end(),
            [](const DatastoreFile& a, const DatastoreFile& b) { return a.path < b.path; });
  return out;
}

StatusOr<std::string> AssetService::UploadDir(const std::string& ws, const std::string& hash) {
  if (!IsContentHash(hash)) {
    return InvalidArgument("an upload is named by its content hash: 64 lower-case hex digits");
  }
  return LocalPath(ws, UploadUri(hash));
}

StatusOr<bool> AssetService::HasUpload(const std::string& ws, const std::string& hash) {
  ASSIGN_OR_RETURN(std::string dir, UploadDir(ws, hash));
  std::error_code ec;
  return fs::is_directory(dir, ec);
}

StatusOr<SnapshotInfo> AssetService::AcceptUpload(const std::string& ws, const std::string& hash,
                                                  const std::string& staged_archive) {
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code ec;
      fs::remove(path, ec);
    }
  } cleanup{staged_archive};
  ASSIGN_OR_RETURN(std::string final_dir, UploadDir(ws, hash));
  std::error_code exists_ec;
  const bool have = fs::is_directory(final_dir, exists_ec);
  if (have) return HashLocalPath(final_dir);
  fs::path parent = fs::path(final_dir).parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return Internal(fmt::format("cannot create {}: {}", parent.string(), ec.message()));
  fs::path incoming = parent / (".incoming-" + NewRunId());
  std::error_code size_ec;
  auto compressed = static_cast<std::int64_t>(fs::file_size(staged_archive, size_ec));
  if (size_ec) compressed = 0;
  const std::int64_t by_ratio =
      std::min(kMaxUploadBytes, std::max(kExpansionFloorBytes, compressed * kMaxExpansionRatio));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  const std::int64_t room = paths_.quota != nullptr ? paths_.quota->Remaining(wid)
                                                    : std::numeric_limits<std::int64_t>::max();
  auto unpacked =
      UnpackSnapshot(staged_archive, incoming.string(), kMaxUploadFiles, std::min(by_ratio, room));
  if (!unpacked.ok() && unpacked.status().code() == ErrorCode::kPayloadTooLarge) {
    if (room < by_ratio) {
      return Status(ErrorCode::kQuotaExceeded,
                    fmt::format("the workspace's storage quota of {} bytes is exhausted: this "
                                "upload unpacks to more than the {} bytes left",
                                paths_.quota->limit_bytes(), room));
    }
    return Status(ErrorCode::kPayloadTooLarge,
                  fmt::format("{}: an upload unpacks to at most {} times its compressed size of {} "
                              "bytes (at least {} MiB, at most 100 GiB)",
                              unpacked.status().message(), kMaxExpansionRatio, compressed,
                              kExpansionFloorBytes >> 20));
  }
  ASSIGN_OR_RETURN(SnapshotInfo info, std::move(unpacked));
  if (paths_.quota != nullptr) {
    if (Status st = paths_.quota->Admit(wid, info.bytes); !st.ok()) {
      fs::remove_all(incoming, ec);  // a concurrent write took the room
      return st;
    }
  }
  if (info.hash != hash) {
    fs::remove_all(incoming, ec);
    return InvalidArgument(fmt::format(
        "the uploaded files hash to {}, not to the {} the upload was named by (corrupted in "
        "transit, or a client bug)",
        info.hash, hash));
  }
  for (const auto& e : fs::recursive_directory_iterator(incoming, ec)) {
    if (e.is_directory()) SyncDir(e.path());
  }
  SyncDir(incoming);
  fs::rename(incoming, final_dir, ec);
  if (ec) {
    // A concurrent upload of the same content won: keep its copy.
    std::error_code rm;
    fs::remove_all(incoming, rm);
    if (!fs::is_directory(final_dir, rm)) {
      return Internal(fmt::format("cannot store the upload: {}", ec.message()));
    }
  }
  SyncDir(parent);
  return info;
}

}  // namespace mlws::assets
