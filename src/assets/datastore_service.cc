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
#include "mlws/artifacts/artifact_store.h"
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

StatusOr<std::shared_ptr<artifacts::BlobStore>> AssetService::OpenS3Datastore(std::int64_t wid,
                                                                              const Datastore& d) {
  json spec = json::parse(d.spec_json, nullptr, false);
  if (!spec.is_object()) return Internal("datastore '" + d.name + "' has an unreadable spec");
  artifacts::S3Options o;
  o.endpoint_url = spec.value("endpoint_url", "");
  o.region = spec.value("region", "");
  std::string secret = spec.value("credentials_secret", "");
  if (!secret.empty()) {
    if (!paths_.read_secret) return Internal("this server cannot read the secrets vault");
    // A shared datastore's secret is in the shared (server-scope) vault, not the workspace's.
    const bool shared =
        spec.contains("shared") && spec["shared"].is_boolean() && spec["shared"].get<bool>();
    std::int64_t secret_wid = wid;
    if (shared) {
      ASSIGN_OR_RETURN(secret_wid, tracking_.WorkspaceId(std::string(kSharedWorkspace)));
    }
    ASSIGN_OR_RETURN(std::string value, paths_.read_secret(secret_wid, secret));
    json c = json::parse(value, nullptr, false);
    if (!c.is_object() || !c.value("access_key_id", json()).is_string() ||
        !c.value("secret_access_key", json()).is_string()) {
      return InvalidArgument("secret '" + secret + "' of datastore '" + d.name +
                             "' must be a JSON object with string fields access_key_id and "
                             "secret_access_key (and optionally session_token)");
    }
    o.access_key_id = c["access_key_id"].get<std::string>();
    o.secret_access_key = c["secret_access_key"].get<std::string>();
    if (c.value("session_token", json()).is_string()) o.session_token = c["session_token"];
  }
  std::string prefix = spec.value("prefix", "");
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  std::string uri = "s3://" + spec.value("bucket", "") + (prefix.empty() ? "" : "/" + prefix);
  auto store = artifacts::OpenBlobStore(uri, o);
  if (!store.ok()) {
    // An unreachable endpoint is the datastore's configuration at fault: a 400, not a 503.
    ErrorCode code = store.status().code() == ErrorCode::kTemporarilyUnavailable
                         ? ErrorCode::kInvalidParameterValue
                         : store.status().code();
    return Status(code, "datastore '" + d.name + "' (" + uri + "): " + store.status().message());
  }
  return std::shared_ptr<artifacts::BlobStore>(std::move(*store));
}

StatusOr<DatastoreLocation> AssetService::Locate(const std::string& ws,
                                                 const std::string& datastore_uri) {
  ASSIGN_OR_RETURN(DatastoreUri u, ParseDatastoreUri(datastore_uri));
  const std::string reg_prefix(registries::kRegistryWorkspacePrefix);
  if (u.datastore.rfind(reg_prefix, 0) == 0 && registries_ != nullptr) {
    // A registry's storage (registry_directory.h): its asset workspace's own blob store.
    ASSIGN_OR_RETURN(
        std::string reg_ws,
        registries_->AssetWorkspace(u.datastore.substr(reg_prefix.size()), AssetKind::kData));
    (void)ws;
    return Locate(reg_ws, MakeDatastoreUri(kDefaultDatastore, u.path));
  }
  ASSIGN_OR_RETURN(Datastore d, GetDatastore(ws, u.datastore));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  DatastoreLocation at;
  fs::path root;
  if (d.name == kDefaultDatastore) {
    if (paths_.workspace_blobs != nullptr) {
      at.blobs = paths_.workspace_blobs;
      at.key = std::to_string(wid) + "/datastores/" + kDefaultDatastore;
      if (!u.path.empty()) at.key += "/" + u.path;
      return at;
    }
    root = fs::path(paths_.artifacts_root) / std::to_string(wid) / "datastores" / kDefaultDatastore;
  } else if (d.type == "local") {
    json spec = json::parse(d.spec_json, nullptr, false);
    root = spec.value("path", "");
  } else {
    ASSIGN_OR_RETURN(at.blobs, OpenS3Datastore(wid, d));
    at.key = u.path;
    return at;
  }
  fs::path p = u.path.empty() ? root : root / u.path;
  // Symlinks inside the datastore must not lead out of it.
  std::error_code ec;
  fs::path real = fs::weakly_canonical(p, ec);
  fs::path real_root = fs::weakly_canonical(root, ec);
  if (!Within(real_root, real)) {
    return InvalidArgument(fmt::format("'{}' leads outside datastore '{}'", datastore_uri, d.name));
  }
  at.local_path = p.string();
  return at;
}

StatusOr<std::string> AssetService::LocalPath(const std::string& ws,
                                              const std::string& datastore_uri) {
  ASSIGN_OR_RETURN(DatastoreLocation at, Locate(ws, datastore_uri));
  if (at.remote()) {
    return InvalidArgument(
        fmt::format("'{}' is in {} (a blob store), not in a folder on this server, and this "
                    "operation needs a local folder",
                    datastore_uri.substr(0, 300), at.blobs->Uri()));
  }
  return at.local_path;
}

StatusOr<std::vector<DatastoreFile>> AssetService::ListDatastoreFiles(const std::string& ws,
                                                                      const std::string& datastore,
                                                                      const std::string& path) {
  ASSIGN_OR_RETURN(DatastoreLocation at, Locate(ws, MakeDatastoreUri(datastore, path)));
  std::vector<DatastoreFile> out;
  if (at.remote()) {
    if (!at.key.empty()) {
      if (auto st = at.blobs->Stat(at.key); st.ok()) {
        out.push_back({"", false, st->size});
        return out;
      }
    }
    artifacts::ListOptions o;
    o.prefix = at.key.empty() ? "" : at.key + "/";
    o.delimited = true;
    bool marked = false;  // an empty folder's marker (datastore_io.h) is there
    do {
      ASSIGN_OR_RETURN(artifacts::BlobPage page, at.blobs->List(o));
      for (const auto& b : page.blobs) {
        if (IsFolderMarker(b.key)) {
          marked = true;
          continue;
        }
        out.push_back({b.key.substr(o.prefix.size()), false, b.size});
      }
      for (const auto& p : page.prefixes) {
        out.push_back({p.substr(o.prefix.size(), p.size() - o.prefix.size() - 1), true, 0});
      }
      o.page_token = page.next_page_token;
    } while (!o.page_token.empty());
    if (out.empty() && !marked && !path.empty()) {
      return NotFound(fmt::format("'{}' does not exist in datastore '{}'", path, datastore));
    }
  } else {
    const std::string& local = at.local_path;
    std::error_code ec;
    auto st = fs::status(local, ec);
    if (ec || !fs::exists(st)) {
      return NotFound(fmt::format("'{}' does not exist in datastore '{}'", path, datastore));
    }
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
  }
  std::sort(out.begin(), out.end(),
            [](const DatastoreFile& a, const DatastoreFile& b) { return a.path < b.path; });
  return out;
}

StatusOr<DatastoreLocation> AssetService::UploadDir(const std::string& ws,
                                                    const std::string& hash) {
  if (!IsContentHash(hash)) {
    return InvalidArgument("an upload is named by its content hash: 64 lower-case hex digits");
  }
  return Locate(ws, UploadUri(hash));
}

StatusOr<bool> AssetService::HasUpload(const std::string& ws, const std::string& hash) {
  ASSIGN_OR_RETURN(DatastoreLocation at, UploadDir(ws, hash));
  if (at.remote()) {
    // Written last, once every file of the upload is in the store.
    auto st = at.blobs->Stat(UploadMarkerKey(at.key));
    if (st.ok()) return true;
    if (st.status().code() == ErrorCode::kResourceDoesNotExist) return false;
    return st.status();
  }
  std::error_code ec;
  return fs::is_directory(at.local_path, ec);
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
  ASSIGN_OR_RETURN(DatastoreLocation at, UploadDir(ws, hash));
  ASSIGN_OR_RETURN(bool have, HasUpload(ws, hash));
  if (have && !at.remote()) return HashLocalPath(at.local_path);
  if (have) {
    ASSIGN_OR_RETURN(std::vector<StoredFile> files, ListFiles(at));
    SnapshotInfo info{hash, static_cast<std::int64_t>(files.size()), 0};
    for (const auto& f : files) info.bytes += f.size;
    return info;
  }
  const std::string final_dir = at.local_path;
  // A blob store's upload is unpacked beside the staged archive (local scratch), then streamed
  // into the store; a local one is unpacked beside its final folder and renamed into place.
  fs::path parent =
      at.remote() ? fs::path(staged_archive).parent_path() : fs::path(final_dir).parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return Internal(fmt::format("cannot create {}: {}", parent.string(), ec.message()));
  fs::path incoming = parent / (".incoming-" + NewRunId());
  struct Scratch {
    fs::path path;
    bool keep;
    ~Scratch() {
      std::error_code rm;
      if (!keep) fs::remove_all(path, rm);
    }
  } scratch{incoming, !at.remote()};
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
  if (at.remote()) {
    RETURN_IF_ERROR(UploadPath(incoming.string(), at).status());
    auto marker = artifacts::StringReader(hash);
    RETURN_IF_ERROR(at.blobs->Put(UploadMarkerKey(at.key), *marker));
    return info;
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
