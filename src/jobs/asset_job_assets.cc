#include "mlws/jobs/asset_job_assets.h"

#include <fmt/format.h>

#include <filesystem>
#include <functional>

#include "jobs/job_files.h"
#include "mlws/common/json.h"

namespace mlws::jobs {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

bool IsModelType(const std::string& type) {
  return type == "custom_model" || type == "mlflow_model" || type == "triton_model";
}

std::string Ref(const assets::Asset& a) {
  // A registry's asset keeps naming its registry (lineage, later lookups from the workspace).
  auto reg = a.properties.find("azureml.registry");
  if (reg != a.properties.end()) {
    return "azureml://registries/" + reg->second + "/" + assets::CollectionName(a.kind) + "/" +
           a.name + "/versions/" + a.version;
  }
  return "azureml:" + a.name + ":" + a.version;
}

class AssetJobAssets final : public JobAssets {
 public:
  AssetJobAssets(assets::AssetService& assets, assets::EnvironmentBuilder& envs)
      : assets_(assets), envs_(envs) {}

  StatusOr<ResolvedPath> ResolveInput(const std::string& ws, const InputSpec& in) override {
    ResolvedPath r;
    std::string path = in.path;
    if (path.rfind("azureml://datastores/", 0) != 0) {
      if (path.rfind("azureml:", 0) != 0) {
        return InvalidArgument(fmt::format(
            "Input '{}': '{}' cannot be read by a local job (use a data asset, a model or "
            "azureml://datastores/<ds>/paths/<p>).",
            in.name, path));
      }
      assets::AssetKind kind =
          IsModelType(in.type) ? assets::AssetKind::kModel : assets::AssetKind::kData;
      auto asset = assets_.Resolve(ws, kind, path);
      if (!asset.ok()) {
        return Status(asset.status().code(),
                      fmt::format("Input '{}': {}", in.name, asset.status().message()));
      }
      r.asset = Ref(*asset);
      r.kind = assets::KindName(kind);
      path = asset->path;
      if (path.rfind("azureml://datastores/", 0) != 0) {
        return InvalidArgument(fmt::format(
            "Input '{}': {} lives at {}, which a local job cannot mount (only datastore paths).",
            in.name, r.asset, path));
      }
    }
    r.uri = path;
    auto at = assets_.Locate(ws, path);
    if (!at.ok()) {
      return Status(at.status().code(),
                    fmt::format("Input '{}': {}", in.name, at.status().message()));
    }
    auto what = assets::StatPath(*at);
    if (!what.ok()) {
      return Status(what.status().code(),
                    fmt::format("Input '{}': {}", in.name, what.status().message()));
    }
    if (*what == assets::PathKind::kMissing) {
      return NotFound(fmt::format("Input '{}': {} does not exist.", in.name, path));
    }
    r.remote = at->remote();
    r.local_path = at->local_path;
    if (in.type == "uri_file" && *what == assets::PathKind::kFolder) {
      // A uri_file input is a file; a folder of exactly one file (e.g. another job's uri_file
      // output folder) stands for that file.
      ASSIGN_OR_RETURN(std::vector<assets::StoredFile> files, assets::ListFiles(*at));
      if (files.size() != 1 || files[0].rel.find('/') != std::string::npos) {
        return InvalidArgument(fmt::format(
            "Input '{}': {} is a folder; a uri_file input names a file (use type uri_folder).",
            in.name, path));
      }
      r.uri += "/" + files[0].rel;
      if (!r.remote) r.local_path = (fs::path(at->local_path) / files[0].rel).string();
    }
    return r;
  }

  Status Fetch(const std::string& ws, const std::string& uri, const std::string& dest) override {
    ASSIGN_OR_RETURN(assets::DatastoreLocation at, assets_.Locate(ws, uri));
    return assets::DownloadPath(at, dest);
  }

  StatusOr<std::string> Fingerprint(const std::string& ws, const ResolvedPath& path) override {
    if (!path.remote) return JobAssets::Fingerprint(ws, path);
    ASSIGN_OR_RETURN(assets::DatastoreLocation at, assets_.Locate(ws, path.uri));
    ASSIGN_OR_RETURN(std::vector<assets::StoredFile> files, assets::ListFiles(at));
    std::string listing;
    for (const auto& f : files) {
      listing += fmt::format("{}\t{}\t{}\n", f.rel, f.size, f.mtime_ms);
    }
    return "listing:" + std::to_string(std::hash<std::string>{}(listing));
  }

  StatusOr<json> ResolveComponent(const std::string& ws, const std::string& ref) override {
    ASSIGN_OR_RETURN(assets::Asset a, assets_.Resolve(ws, assets::AssetKind::kComponent, ref));
    json spec = json::parse(a.spec_json, nullptr, false);
    if (!spec.is_object()) return Internal("the stored component " + Ref(a) + " does not parse");
    spec["name"] = a.name;
    spec["version"] = a.version;
    return spec;
  }

  StatusOr<ResolvedPath> ResolveCode(const std::string& ws, const std::string& uri) override {
    if (uri.rfind("azureml://datastores/", 0) != 0) {
      return InvalidArgument(
          "'code' must be a local folder (the CLI uploads it) or an "
          "azureml://datastores/<ds>/paths/<p> URI; got '" +
          uri + "'.");
    }
    ASSIGN_OR_RETURN(assets::DatastoreLocation at, assets_.Locate(ws, uri));
    ASSIGN_OR_RETURN(assets::PathKind what, assets::StatPath(at));
    if (what != assets::PathKind::kFolder) {
      return NotFound("The code folder " + uri + " does not exist.");
    }
    ResolvedPath r;
    r.local_path = at.local_path;
    r.remote = at.remote();
    r.uri = uri;
    return r;
  }

  StatusOr<std::string> CheckEnvironment(const std::string& ws, const json& env) override {
    if (env.is_null()) return std::string("host");
    if (env.is_string()) {
      ASSIGN_OR_RETURN(assets::Asset a, assets_.Resolve(ws, assets::AssetKind::kEnvironment,
                                                        env.get<std::string>()));
      return Ref(a);
    }
    if (env.contains("build")) {
      return Status(ErrorCode::kNotImplemented,
                    "Inline environments with a build context are not supported yet: register "
                    "it with `mlws environment create -f env.yml` and reference it as "
                    "azureml:<name>:<version>.");
    }
    if (env.contains("conda_file")) {
      if (!env["conda_file"].is_object()) {
        return InvalidArgument(
            "environment.conda_file must be the conda environment itself (the CLI reads the "
            "file named in the YAML and sends its content).");
      }
      return std::string("inline conda environment");
    }
    if (env.contains("image") && env["image"].is_string()) {
      return "image " + env["image"].get<std::string>();
    }
    return std::string("host");
  }

  StatusOr<PreparedEnvironment> PrepareEnvironment(const std::string& ws,
                                                   const json& env) override {
    PreparedEnvironment p;
    ASSIGN_OR_RETURN(p.reference, CheckEnvironment(ws, env));
    if (env.is_object() && env.contains("conda_file")) {
      // Built like a registered environment, cached by the content of its requirements.
      assets::Asset inline_env;
      inline_env.kind = assets::AssetKind::kEnvironment;
      inline_env.name = "inline";
      inline_env.version = "-";
      inline_env.spec_json = env.dump(-1, ' ', false, json::error_handler_t::replace);
      ASSIGN_OR_RETURN(assets::BuiltEnvironment built, envs_.Ensure(inline_env, ""));
      p.bin_dir = built.bin_dir;
      p.note = built.note;
      return p;
    }
    if (!env.is_string()) {
      if (p.reference != "host") {
        p.note = p.reference +
                 " not used: no container runtime is configured; the host's "
                 "interpreter runs the job";
      }
      return p;
    }
    // The same build `mlws environment build` makes (it reads a build context's requirements).
    ASSIGN_OR_RETURN(assets::BuiltEnvironment built,
                     assets_.BuildEnvironment(ws, env.get<std::string>()));
    p.bin_dir = built.bin_dir;
    p.note = built.note;
    return p;
  }

  Status CheckOutput(const std::string& ws, const std::string& job,
                     const OutputSpec& out) override {
    if (out.path.empty()) return Status::Ok();
    auto at = assets_.Locate(ws, OutputUri(out, job, assets::kDefaultDatastore));
    if (!at.ok()) {
      return Status(at.status().code(), fmt::format("Output '{}': path '{}': {}", out.name,
                                                    out.path, at.status().message()));
    }
    return Status::Ok();
  }

  StatusOr<ResolvedPath> PublishOutput(const std::string& ws, const std::string& job,
                                       const OutputSpec& out, const std::string& local_folder,
                                       const std::string& user,
                                       const std::string& run_id) override {
    ResolvedPath r;
    r.uri = OutputUri(out, job, assets::kDefaultDatastore);
    ASSIGN_OR_RETURN(assets::DatastoreLocation dest, assets_.Locate(ws, r.uri));
    std::error_code ec;
    std::string src = local_folder;
    if (out.type == "uri_file") {
      // A uri_file output is the one file the job wrote into the output folder; its URI names
      // that file (the output's path, else <folder>/<file>).
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(local_folder, ec)) {
        if (e.is_regular_file(ec) && !e.is_symlink(ec)) files.push_back(e.path());
      }
      if (files.size() != 1) {
        return InvalidArgument(fmt::format(
            "a uri_file output must hold exactly one file; '{}' holds {}", out.name, files.size()));
      }
      if (out.path.empty()) {
        const std::string name = files[0].filename().string();
        r.uri += "/" + name;
        if (dest.remote())
          dest.key += "/" + name;
        else
          dest.local_path += "/" + name;
      }
      src = files[0].string();
    }
    // Streamed into the datastore (an S3 one, or the default one on an s3:// destination).
    auto copied = assets::UploadPath(src, dest);
    if (!copied.ok()) {
      return Status(copied.status().code(),
                    "copying output " + out.name + ": " + copied.status().message());
    }
    r.local_path = dest.local_path;
    r.remote = dest.remote();
    if (out.asset_name.empty()) return r;
    json spec = {{"name", out.asset_name}, {"type", out.type}, {"path", r.uri}};
    if (!out.asset_version.empty()) spec["version"] = out.asset_version;
    if (!out.description.empty()) spec["description"] = out.description;
    assets::AssetKind kind =
        IsModelType(out.type) ? assets::AssetKind::kModel : assets::AssetKind::kData;
    ASSIGN_OR_RETURN(assets::Asset a, assets_.Create(ws, kind, DumpJson(spec), user, run_id));
    r.asset = Ref(a);
    r.kind = assets::KindName(kind);
    return r;
  }

  Status RecordRunInput(const std::string& ws, const std::string& run_id,
                        const ResolvedPath& input) override {
    auto kind = assets::ParseAssetKind(input.kind);
    if (!kind) return Status::Ok();
    ASSIGN_OR_RETURN(assets::Asset a, assets_.Resolve(ws, *kind, input.asset));
    return assets_.RecordRunInput(ws, run_id, a);
  }

 private:
  assets::AssetService& assets_;
  assets::EnvironmentBuilder& envs_;
};

}  // namespace

std::unique_ptr<JobAssets> NewAssetJobAssets(assets::AssetService& assets,
                                             assets::EnvironmentBuilder& environments) {
  return std::make_unique<AssetJobAssets>(assets, environments);
}

}  // namespace mlws::jobs
