// Staging a deployment's model and code out of a blob store: an online deployment's files are
// copied into local scratch under the serving root before its instances start (processes read
// files); a batch deployment's are checked where they are (its job stages them like any job's
// inputs). Internal to src/serving/.
//
// Errors: what JobAssets::Fetch / ResolveInput return (NotFound, Internal, TemporarilyUnavailable
// when the store is down), with the path named.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "mlws/common/status.h"
#include "mlws/jobs/job_assets.h"
#include "mlws/serving/online_spec.h"

namespace mlws::serving {

// Whether the file `rel` exists under the resolved folder `at` (local: on disk; remote: in the
// store, by a stat, without downloading anything).
StatusOr<bool> HasFileAt(jobs::JobAssets& assets, const std::string& ws,
                         const jobs::ResolvedPath& at, const std::string& rel);

// `at` as a local path: itself when local; when remote, its bytes streamed into `dest` (a file
// or a folder, as stored; with `keep_name`, into `dest`/<last segment of its URI>) and that path.
StatusOr<std::string> StageIn(jobs::JobAssets& assets, const std::string& ws,
                              const jobs::ResolvedPath& at, const std::string& dest,
                              bool keep_name);

// Where an online deployment's staged files live: <serving root>/staged/<ws id>/<endpoint>/
// <deployment>/ (one subfolder per create or update); without a deployment, the endpoint's.
std::string StagingRoot(const std::string& serving_root, std::int64_t ws_id,
                        const std::string& endpoint, const std::string& deployment);
// Deletes a staging root (best effort: instances that still run have their files open).
void RemoveStaged(const std::string& dir);

// Deletes the staged copies of `d` other than the one its current spec serves from (the copy
// holding d.model_local / d.code_local): called once that copy is serving. Best effort.
void PruneStaged(const std::string& serving_root, std::int64_t ws_id, const OnlineDeployment& d);

// Whether d's model (and code) files are on this machine: d.model_local and, with a scoring
// script, d.code_local exist.
bool FilesStaged(const OnlineDeployment& d);

// Removes a staging folder when it goes out of scope, unless Keep() was called: a deployment
// that is refused leaves nothing behind.
class StagingFolder {
 public:
  explicit StagingFolder(std::string dir) : dir_(std::move(dir)) {}
  StagingFolder(const StagingFolder&) = delete;
  StagingFolder& operator=(const StagingFolder&) = delete;
  ~StagingFolder();
  const std::string& dir() const { return dir_; }
  void Keep() { keep_ = true; }

 private:
  std::string dir_;
  bool keep_ = false;
};

// A new copy of a deployment's files on this machine, for one that is not FilesStaged (staged by
// another server, or removed since): d's stored references (d.model_ref, d.code) resolved again
// and staged into a new folder under this server's staging root. Reads `d` only, so the download
// (which can take minutes) runs without the endpoint service's lock; Publish() then, under the
// lock, points the deployment at the copy. Dropped unpublished, the copy is deleted. Local files
// that are gone are NotFound; a store that is down is what StageIn returns.
class StagedCopy {
 public:
  static StatusOr<StagedCopy> Make(jobs::JobAssets& assets, const std::string& serving_root,
                                   std::int64_t ws_id, const std::string& ws,
                                   const OnlineDeployment& d);
  // Sets d's local paths to this copy and keeps it.
  void Publish(OnlineDeployment& d);

 private:
  explicit StagedCopy(std::string dir) : folder_(std::make_unique<StagingFolder>(std::move(dir))) {}
  std::unique_ptr<StagingFolder> folder_;
  std::string model_local_, code_local_;
};

}  // namespace mlws::serving
