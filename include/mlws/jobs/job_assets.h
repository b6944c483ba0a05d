// JobAssets: what the job service needs from the assets subsystem, behind one small interface so
// the scheduler does not depend on how assets are stored. The server wires an implementation on
// assets::AssetService and assets::EnvironmentBuilder; NewBasicJobAssets() serves workspaces
// without assets (literal inputs, inline environments only).
//
// Implementations are thread-safe. Errors: NotFound for missing assets / datastore paths,
// InvalidArgument for references of the wrong kind.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "mlws/common/status.h"
#include "mlws/jobs/job_spec.h"

namespace mlws::jobs {

struct ResolvedPath {
  std::string local_path;  // absolute, on this machine ("" when remote)
  bool remote = false;     // the bytes are in a blob store (S3): Fetch(uri) copies them here
  std::string uri;         // azureml://datastores/... (what the run records)
  std::string asset;       // "azureml:<name>:<version>" when the reference was an asset
  std::string kind;        // the asset's kind: "data" | "model" ("" when not an asset)
};

struct PreparedEnvironment {
  std::string reference;  // what the job ran in, e.g. "azureml:sklearn-1.5:1" or "image python"
  std::string bin_dir;    // first on PATH ("" = host PATH)
  std::string note;       // e.g. "image ignored: no container runtime; host python3"
};

class JobAssets {
 public:
  virtual ~JobAssets() = default;
  // A job input's path (asset reference or datastore URI) as a local path, or a remote one
  // (then `uri` names the file itself for a uri_file input). Checks existence.
  virtual StatusOr<ResolvedPath> ResolveInput(const std::string& ws, const InputSpec& input) = 0;
  // The job's code (a datastore URI) as a local folder, or a remote one. Checks existence.
  virtual StatusOr<ResolvedPath> ResolveCode(const std::string& ws, const std::string& uri) = 0;
  // Streams the file or folder at datastore URI `uri` into the local path `dest` (a folder's
  // files go into `dest`, created). For remote inputs and code, before a job starts.
  virtual Status Fetch(const std::string& ws, const std::string& uri, const std::string& dest) {
    (void)ws, (void)dest;
    return NotFound("'" + uri + "' cannot be read here (no datastores on this server)");
  }
  // A fingerprint of the bytes at a resolved path: their content hash when local, a hash of
  // the names, sizes and modification times when remote (pipeline step reuse).
  virtual StatusOr<std::string> Fingerprint(const std::string& ws, const ResolvedPath& path);
  // Validates an environment reference / inline spec at submission; returns what to record.
  virtual StatusOr<std::string> CheckEnvironment(const std::string& ws,
                                                 const nlohmann::json& env) = 0;
  // Builds (or finds) the environment right before the job starts; may take minutes.
  virtual StatusOr<PreparedEnvironment> PrepareEnvironment(const std::string& ws,
                                                           const nlohmann::json& env) = 0;
  // At submission: the output's `path` (if any) names a datastore this server can write to.
  virtual Status CheckOutput(const std::string& ws, const std::string& job,
                             const OutputSpec& output) {
    (void)ws;
    (void)job;
    (void)output;
    return Status::Ok();
  }
  // Copies a finished job's output folder to OutputUri (its `path`, else the default datastore
  // at azureml/<job>/<output>; a uri_file output's one file) and, when the output names an asset,
  // registers it (data or model) with the run as its source. Returns the datastore URI and the
  // asset reference ("" if none).
  virtual StatusOr<ResolvedPath> PublishOutput(const std::string& ws, const std::string& job,
                                               const OutputSpec& output,
                                               const std::string& local_folder,
                                               const std::string& user,
                                               const std::string& run_id) = 0;
  // Lineage: the run used this asset (as ResolveInput returned it).
  virtual Status RecordRunInput(const std::string& ws, const std::string& run_id,
                                const ResolvedPath& input) = 0;
  // A registered component's spec (azureml:<name>:<version>, azureml:<name>@latest, a registry
  // reference), with "name" and "version" filled in. NotFound when there is none.
  virtual StatusOr<nlohmann::json> ResolveComponent(const std::string& ws,
                                                    const std::string& reference) {
    (void)ws;
    return NotFound("Component '" + reference + "' does not exist (no component assets here).");
  }
};

std::unique_ptr<JobAssets> NewBasicJobAssets();

}  // namespace mlws::jobs
