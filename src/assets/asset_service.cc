// AssetService: versions, references, archive/restore, deletion with garbage collection, and
// the MLflow registry mirror of model assets. Datastores and uploads: datastore_service.cc.
#include "mlws/assets/asset_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "assets/asset_reference.h"
#include "assets/asset_spec.h"
#include "assets/curated_registry.h"
#include "mlws/common/ids.h"
#include "mlws/common/json.h"

namespace mlws::assets {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kExternalSchemes[] = {"https://", "http://", "wasbs://", "wasb://",
                                                 "abfss://", "s3://",   "gs://",    "adl://"};

bool IsExternal(std::string_view path) {
  for (auto s : kExternalSchemes) {
    if (path.substr(0, s.size()) == s) return true;
  }
  return false;
}

// A value inside '…' of a registry search filter.
std::string EscapeFilterString(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::optional<std::int64_t> IntVersion(const std::string& v) {
  if (v.empty() || v.size() > 18) return std::nullopt;
  std::int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

// The MLflow registry version standing for a model asset: source readable by MLflow clients.
std::string RegistrySource(const std::string& path) {
  auto d = ParseDatastoreUri(path);
  if (d.ok() && d->datastore == kDefaultDatastore) {
    return std::string("mlflow-artifacts:/datastores/") + kDefaultDatastore + "/" + d->path;
  }
  return path;
}

// A model version registered through the MLflow API, seen as a model asset.
Asset FromRegistry(const ModelVersion& v) {
  Asset a;
  a.kind = AssetKind::kModel;
  a.name = v.name;
  a.version = std::to_string(v.version);
  a.type = "mlflow_model";
  a.description = v.description;
  for (const auto& t : v.tags) a.tags[t.key] = t.value;
  a.path = v.source;
  a.source_run_id = v.run_id;
  a.created_at = v.creation_timestamp;
  a.updated_at = v.last_updated_timestamp;
  a.created_by = v.user_id;
  a.spec_json =
      DumpJson(json{{"name", a.name}, {"version", a.version}, {"path", a.path}, {"type", a.type}});
  a.seq = v.version;
  return a;
}

bool InRegistryWorkspace(const std::string& ws) {
  return ws.rfind(std::string(registries::kRegistryWorkspacePrefix), 0) == 0;
}

// A registry's asset as a workspace sees it: its files are at azureml://datastores/registry:<reg>/
// and its component's environment names the registry.
Asset AsRegistryAsset(const std::string& reg, Asset a) {
  const std::string own = std::string("azureml://datastores/") + kDefaultDatastore + "/";
  const std::string seen = "azureml://datastores/" + registries::RegistryDatastore(reg) + "/";
  auto rewrite = [&](json& v) {
    if (v.is_string() && v.get<std::string>().rfind(own, 0) == 0) {
      v = seen + v.get<std::string>().substr(own.size());
    }
  };
  if (a.path.rfind(own, 0) == 0) a.path = seen + a.path.substr(own.size());
  json spec = json::parse(a.spec_json, nullptr, false);
  if (spec.is_object()) {
    if (spec.contains("path")) rewrite(spec["path"]);
    if (spec.contains("code")) rewrite(spec["code"]);
    if (spec.contains("build") && spec["build"].is_object() && spec["build"].contains("path")) {
      rewrite(spec["build"]["path"]);
    }
    if (spec.contains("environment") && spec["environment"].is_string()) {
      std::string env = spec["environment"].get<std::string>();
      auto r = ParseAssetReference(AssetKind::kEnvironment, env);
      if (r.ok() && r->registry.empty()) {
        spec["environment"] = "azureml://registries/" + reg + "/environments/" + r->name +
                              (r->version.empty() ? "/labels/latest" : "/versions/" + r->version);
      }
    }
    a.spec_json = DumpJson(spec);
  }
  a.properties["azureml.registry"] = reg;
  return a;
}

}  // namespace

AssetService::AssetService(store::MetadataStore& store, tracking::TrackingService& tracking,
                           RegistryService& registry, AssetPaths paths,
                           EnvironmentBuilder* environments)
    : store_(store),
      tracking_(tracking),
      registry_(registry),
      paths_(std::move(paths)),
      environments_(environments) {}

StatusOr<BuiltEnvironment> AssetService::BuildEnvironment(const std::string& ws,
                                                          const std::string& reference) {
  if (environments_ == nullptr) {
    return Status(ErrorCode::kNotImplemented, "this server does not build environments");
  }
  ASSIGN_OR_RETURN(Asset env, Resolve(ws, AssetKind::kEnvironment, reference));
  std::string files_root;
  json spec = json::parse(env.spec_json, nullptr, false);
  if (spec.is_object() && spec.contains("build") && spec["build"].contains("path")) {
    ASSIGN_OR_RETURN(DatastoreLocation at, Locate(ws, spec["build"]["path"].get<std::string>()));
    if (at.remote()) {
      // In a blob store: the build context is staged into local scratch for the build.
      fs::path scratch = fs::temp_directory_path() / ("mlws-build-context-" + NewRunId());
      struct Remove {
        fs::path p;
        ~Remove() {
          std::error_code ec;
          fs::remove_all(p, ec);
        }
      } remove{scratch};
      RETURN_IF_ERROR(DownloadPath(at, scratch.string()));
      return environments_->Ensure(env, scratch.string());
    }
    files_root = at.local_path;
  }
  return environments_->Ensure(env, files_root);
}

StatusOr<std::string> AssetService::EnvironmentBuildLog(const std::string& hash) {
  if (environments_ == nullptr) {
    return Status(ErrorCode::kNotImplemented, "this server does not build environments");
  }
  return environments_->LogPath(hash);
}

StatusOr<Asset> AssetService::Create(const std::string& ws, AssetKind kind,
                                     const std::string& spec_json, const std::string& user,
                                     const std::string& source_run_id) {
  json spec = json::parse(spec_json, nullptr, false);
  if (spec.is_discarded()) return BadRequest("the asset spec is not valid JSON");
  ASSIGN_OR_RETURN(Asset a, AssetFromSpec(kind, spec));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  a.created_by = user;
  a.created_at = a.updated_at = NowMillis();
  a.source_run_id = source_run_id;
  if (!source_run_id.empty()) {
    ASSIGN_OR_RETURN(auto run, tracking_.GetRun(ws, source_run_id));
    (void)run;
  }

  // Files: an uploaded folder, a datastore path, or an external URI.
  auto check_files = [&](const std::string& uri, const char* field) -> StatusOr<std::string> {
    if (IsExternal(uri) || uri.rfind("runs:/", 0) == 0 || uri.rfind("azureml://jobs/", 0) == 0) {
      return uri;
    }
    if (uri.rfind("azureml://", 0) != 0) {
      return InvalidArgument(fmt::format(
          "{} '{}' is not a URI the server can read: local files are uploaded by `mlws {} create "
          "-f` (the CLI); the API takes azureml://datastores/<ds>/paths/<p> or an https/wasbs/"
          "s3 URI",
          field, uri.substr(0, 300), KindName(kind)));
    }
    ASSIGN_OR_RETURN(DatastoreUri d, ParseDatastoreUri(uri));
    ASSIGN_OR_RETURN(Datastore ds, GetDatastore(ws, d.datastore));
    std::string canonical = MakeDatastoreUri(ds.name, d.path);
    std::string upload_prefix = std::string(kUploadFolder) + "/";
    if (ds.name == kDefaultDatastore && d.path.rfind(upload_prefix, 0) == 0) {
      std::string hash = d.path.substr(upload_prefix.size(), 64);
      ASSIGN_OR_RETURN(bool have, HasUpload(ws, hash));
      if (!IsContentHash(hash) || !have) {
        return NotFound(fmt::format("{} '{}' names an upload that does not exist", field, uri));
      }
      a.content_hash = hash;
    }
    if (ds.type == "local") {
      ASSIGN_OR_RETURN(DatastoreLocation at, Locate(ws, canonical));
      ASSIGN_OR_RETURN(PathKind what, StatPath(at));
      const bool exists = what != PathKind::kMissing;
      if (!a.content_hash.empty() && !exists) {
        return NotFound(fmt::format("{} '{}' does not exist in the upload", field, uri));
      }
      if (exists && kind == AssetKind::kData) {
        bool dir = what == PathKind::kFolder;
        if (a.type == "uri_file" && dir) {
          return InvalidArgument(fmt::format("type uri_file but '{}' is a folder", uri));
        }
        if (a.type != "uri_file" && !dir) {
          return InvalidArgument(fmt::format("type {} but '{}' is a file", a.type, uri));
        }
        DatastoreLocation table = at;
        table.local_path = at.remote() ? "" : at.local_path + "/MLTable";
        table.key = at.key.empty() ? "MLTable" : at.key + "/MLTable";
        ASSIGN_OR_RETURN(PathKind has_table, StatPath(table));
        if (a.type == "mltable" && has_table != PathKind::kFile) {
          return InvalidArgument(fmt::format("type mltable but '{}' has no MLTable file", uri));
        }
      }
    }
    return canonical;
  };
  if (kind == AssetKind::kModel || kind == AssetKind::kData) {
    ASSIGN_OR_RETURN(a.path, check_files(a.path, "path"));
    spec["path"] = a.path;
  } else if (kind == AssetKind::kEnvironment && spec.contains("build")) {
    ASSIGN_OR_RETURN(std::string p,
                     check_files(spec["build"]["path"].get<std::string>(), "build.path"));
    spec["build"]["path"] = p;
  } else if (kind == AssetKind::kComponent) {
    if (spec.contains("code") && !spec["code"].is_null()) {
      if (!spec["code"].is_string()) return InvalidArgument("field 'code' must be a string");
      ASSIGN_OR_RETURN(std::string p, check_files(spec["code"].get<std::string>(), "code"));
      spec["code"] = p;
    }
    const json& env = spec["environment"];
    if (env.is_string()) {
      ASSIGN_OR_RETURN(Asset e, Resolve(ws, AssetKind::kEnvironment, env.get<std::string>()));
      (void)e;
    } else if (!env.is_object() || !(env.contains("image") || env.contains("conda_file"))) {
      return InvalidArgument(
          "the component's environment must be a reference (azureml:<name>:<version>) or an "
          "inline environment with an image or a conda_file");
    }
  }

  if (kind == AssetKind::kModel && !InRegistryWorkspace(ws)) {
    // The MLflow registry numbers model versions; the asset takes the same number.
    auto rm = registry_.GetRegisteredModel(ws, a.name);
    if (!rm.ok()) {
      if (rm.status().code() != ErrorCode::kResourceDoesNotExist) return rm.status();
      auto created = registry_.CreateRegisteredModel(ws, a.name, "", {});
      if (!created.ok() && created.status().code() != ErrorCode::kResourceAlreadyExists) {
        return created.status();
      }
    }
    ModelVersion mv;
    mv.name = a.name;
    mv.source = RegistrySource(a.path);
    mv.run_id = a.source_run_id;
    mv.description = a.description;
    mv.user_id = user;
    for (const auto& [k, v] : a.tags) mv.tags.push_back({k, v});
    RETURN_IF_ERROR(registry_.CheckNewModelVersion(ws, mv));
    // The registry version and the asset row in one transaction: the registered model stays
    // locked from drawing the number to the asset's commit, so concurrent creates (on any
    // server) get distinct numbers, "latest" follows them, and a failed create leaves no
    // registry version behind.
    Asset out;
    RETURN_IF_ERROR(store_.Atomically([&](store::Tx& tx) -> Status {
      ASSIGN_OR_RETURN(ModelVersion made, tx.CreateModelVersion(wid, mv));
      std::string got = std::to_string(made.version);
      if (!a.version.empty() && a.version != got) {
        return AlreadyExists(fmt::format(
            "model {}:{} cannot be created: model versions are numbered in order and the next "
            "version of '{}' is {} (omit the version to get it)",
            a.name, a.version, a.name, got));
      }
      a.version = got;
      spec["version"] = a.version;
      a.spec_json = DumpJson(spec);
      ASSIGN_OR_RETURN(out, tx.CreateAsset(wid, a));
      return Status::Ok();
    }));
    return out;
  }
  // Without a version the store picks the next integer inside its write (no race between
  // concurrent creates).
  if (!a.version.empty()) spec["version"] = a.version;
  a.spec_json = DumpJson(spec);
  return store_.assets().CreateAsset(wid, a);
}

StatusOr<Asset> AssetService::Get(const std::string& ws, AssetKind kind, const std::string& ref) {
  ASSIGN_OR_RETURN(AssetRef r, ParseAssetReference(kind, ref));
  auto curated = [&](const std::string& name) -> StatusOr<Asset> {
    for (const auto& a : CuratedAssets()) {
      if (a.kind == kind && a.name == name && (r.version.empty() || r.version == a.version)) {
        return a;
      }
    }
    return NotFound(fmt::format("{} '{}{}' does not exist in registry '{}'", KindName(kind), name,
                                r.version.empty() ? "" : ":" + r.version, kCuratedRegistry));
  };
  if (!r.registry.empty() && registries_ != nullptr) {
    ASSIGN_OR_RETURN(std::string reg_ws, registries_->AssetWorkspace(r.registry, kind));
    ASSIGN_OR_RETURN(
        Asset a,
        Get(reg_ws, kind, r.version.empty() ? r.name + "@latest" : r.name + ":" + r.version));
    return AsRegistryAsset(r.registry, std::move(a));
  }
  if (!r.registry.empty()) {
    if (r.registry != kCuratedRegistry) {
      return NotFound(
          fmt::format("registry '{}' does not exist (mlws has the built-in registry "
                      "'{}')",
                      r.registry, kCuratedRegistry));
    }
    return curated(r.name);
  }
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  auto found = r.version.empty() ? store_.assets().GetLatestAsset(wid, kind, r.name)
                                 : store_.assets().GetAsset(wid, kind, r.name, r.version);
  if (!found.ok() && r.version.empty()) {
    ASSIGN_OR_RETURN(auto versions, store_.assets().AssetVersions(wid, kind, r.name));
    if (versions.empty()) {
      found = NotFound(
          fmt::format("{} '{}' does not exist in this workspace.", KindName(kind), r.name));
    }
  }
  if (found.ok() || found.status().code() != ErrorCode::kResourceDoesNotExist) return found;
  // Azure ML names curated environments "AzureML-<name>" in workspaces.
  if (r.name.rfind("AzureML-", 0) == 0) {
    if (registries_ == nullptr) return curated(r.name.substr(8));
    return Get(ws, kind,
               fmt::format("azureml://registries/{}/{}/{}/{}", kCuratedRegistry,
                           CollectionName(kind), r.name.substr(8),
                           r.version.empty() ? "labels/latest" : "versions/" + r.version));
  }
  if (kind == AssetKind::kModel) {
    // A version registered with the MLflow client.
    StatusOr<ModelVersion> mv = Status(ErrorCode::kResourceDoesNotExist, "");
    if (!r.version.empty()) {
      if (IntVersion(r.version)) mv = registry_.GetModelVersion(ws, r.name, r.version);
    } else {
      auto latest = registry_.GetLatestVersions(ws, r.name, {});
      if (latest.ok() && !latest->empty()) {
        ModelVersion best = latest->front();
        for (const auto& v : *latest) {
          if (v.version > best.version) best = v;
        }
        mv = best;
      }
    }
    if (mv.ok()) return FromRegistry(*mv);
  }
  return found;
}

StatusOr<Asset> AssetService::Resolve(const std::string& ws, AssetKind kind,
                                      const std::string& reference) {
  return Get(ws, kind, reference);
}

StatusOr<std::vector<Asset>> AssetService::List(const std::string& ws, AssetKind kind,
                                                const AssetListOptions& opt) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  store::AssetQuery q;
  q.workspace_id = wid;
  q.kind = kind;
  q.name = opt.name;
  q.all_versions = opt.all_versions;
  q.include_archived = opt.include_archived;
  ASSIGN_OR_RETURN(auto out, store_.assets().ListAssets(q));
  if (kind != AssetKind::kModel) return out;
  // Model versions registered with the MLflow client (no asset row) are models too.
  ASSIGN_OR_RETURN(auto rows,
                   store_.assets().ListAssets(store::AssetQuery{wid, kind, opt.name, true, true}));
  std::set<std::pair<std::string, std::string>> known;
  for (const auto& a : rows) known.insert({a.name, a.version});
  RegistrySearch search;
  search.max_results = 10000;
  if (opt.name) search.filter = "name = '" + EscapeFilterString(*opt.name) + "'";
  std::vector<Asset> extra;
  for (;;) {
    ASSIGN_OR_RETURN(auto page, registry_.SearchModelVersions(ws, search));
    for (const auto& v : page.versions) {
      if (known.count({v.name, std::to_string(v.version)}) == 0) {
        extra.push_back(FromRegistry(v));
      }
    }
    if (page.next_page_token.empty()) break;
    search.page_token = page.next_page_token;
  }
  if (extra.empty()) return out;
  if (!opt.all_versions) {
    // Keep the newest registry-only version of a name that has no asset version listed.
    std::map<std::string, Asset> newest;
    for (auto& a : extra) {
      auto it = newest.find(a.name);
      if (it == newest.end() || a.seq > it->second.seq) newest[a.name] = a;
    }
    extra.clear();
    std::set<std::string> listed;
    for (const auto& a : out) listed.insert(a.name);
    for (auto& [name, a] : newest) {
      if (listed.count(name) == 0) extra.push_back(std::move(a));
    }
  }
  out.insert(out.end(), extra.begin(), extra.end());
  std::stable_sort(out.begin(), out.end(), [](const Asset& a, const Asset& b) {
    return a.name != b.name ? a.name < b.name : a.seq > b.seq;
  });
  return out;
}

StatusOr<Asset> AssetService::Update(const std::string& ws, AssetKind kind, const std::string& name,
                                     const std::string& version, const AssetUpdate& update) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  if (update.description && update.description->size() > 5000) {
    return InvalidArgument("description is longer than 5000 characters");
  }
  if (update.tags) {
    for (const auto& [k, v] : *update.tags) {
      if (k.empty() || k.size() > 256 || v.size() > 5000) {
        return InvalidArgument("tag keys must be 1 to 256 characters and values at most 5000");
      }
    }
  }
  // Read, change and write the version in one transaction, so a concurrent update of another
  // field (or SetArchived) is not overwritten with what this one read.
  Asset out;
  RETURN_IF_ERROR(store_.Atomically([&](store::Tx& tx) -> Status {
    ASSIGN_OR_RETURN(Asset a, tx.LockAsset(wid, kind, name, version));
    if (update.description) a.description = *update.description;
    if (update.tags) a.tags = *update.tags;
    a.updated_at = NowMillis();
    ASSIGN_OR_RETURN(out, tx.UpdateAsset(wid, a));
    return Status::Ok();
  }));
  if (kind == AssetKind::kModel && update.description) {
    (void)registry_.UpdateModelVersion(ws, name, version, out.description);
  }
  return out;
}

StatusOr<Asset> AssetService::SetArchived(const std::string& ws, AssetKind kind,
                                          const std::string& name, const std::string& version,
                                          bool archived) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  Asset out;
  RETURN_IF_ERROR(store_.Atomically([&](store::Tx& tx) -> Status {
    ASSIGN_OR_RETURN(Asset a, tx.LockAsset(wid, kind, name, version));
    a.archived = archived;
    a.updated_at = NowMillis();
    ASSIGN_OR_RETURN(out, tx.UpdateAsset(wid, a));
    return Status::Ok();
  }));
  return out;
}

Status AssetService::Delete(const std::string& ws, AssetKind kind, const std::string& name,
                            const std::string& version) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(Asset a, store_.assets().GetAsset(wid, kind, name, version));
  RETURN_IF_ERROR(store_.assets().DeleteAsset(wid, kind, name, version));
  if (kind == AssetKind::kModel) (void)registry_.DeleteModelVersion(ws, name, version);
  if (!a.content_hash.empty()) {
    ASSIGN_OR_RETURN(std::int64_t refs, store_.assets().CountContentRefs(wid, a.content_hash));
    if (refs == 0) {
      ASSIGN_OR_RETURN(DatastoreLocation dir, UploadDir(ws, a.content_hash));
      RETURN_IF_ERROR(DeletePath(dir));
      if (dir.remote()) (void)dir.blobs->Delete(UploadMarkerKey(dir.key));
    }
  }
  return Status::Ok();
}

Status AssetService::RecordRunInput(const std::string& ws, const std::string& run_id,
                                    const Asset& asset) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.assets().RecordAssetInput(wid, run_id, asset.kind, asset.name, asset.version);
}

StatusOr<AssetLineage> AssetService::Lineage(const std::string& ws, AssetKind kind,
                                             const std::string& name, const std::string& version) {
  ASSIGN_OR_RETURN(Asset a, Get(ws, kind, name + ":" + version));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  auto ref_of = [&](const std::string& run_id) -> std::optional<RunRef> {
    auto run = tracking_.GetRun(ws, run_id);
    if (!run.ok()) return RunRef{run_id, "", "", "DELETED"};
    return RunRef{run->info.run_id, run->info.experiment_id, run->info.run_name,
                  tracking::RunStatusName(run->info.status)};
  };
  AssetLineage out;
  if (!a.source_run_id.empty()) out.produced_by_run = ref_of(a.source_run_id);
  ASSIGN_OR_RETURN(auto runs, store_.assets().RunsUsingAsset(wid, kind, a.name, a.version));
  for (const auto& id : runs) {
    if (auto r = ref_of(id)) out.used_by_runs.push_back(*r);
  }
  return out;
}

StatusOr<std::vector<Asset>> AssetService::RunInputs(const std::string& ws,
                                                     const std::string& run_id) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.assets().AssetInputsOfRun(wid, run_id);
}

StatusOr<std::vector<Asset>> AssetService::RunOutputs(const std::string& ws,
                                                      const std::string& run_id) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto out, store_.assets().AssetsProducedByRun(wid, run_id));
  // Model versions registered with the MLflow client from this run.
  RegistrySearch search;
  search.filter = "run_id = '" + EscapeFilterString(run_id) + "'";
  search.max_results = 1000;
  auto versions = registry_.SearchModelVersions(ws, search);
  if (versions.ok()) {
    for (const auto& v : versions->versions) {
      bool known = false;
      for (const auto& a : out) {
        if (a.kind == AssetKind::kModel && a.name == v.name &&
            a.version == std::to_string(v.version)) {
          known = true;
        }
      }
      if (!known) out.push_back(FromRegistry(v));
    }
  }
  return out;
}

}  // namespace mlws::assets
