#include "serving/stage_in.h"

#include <filesystem>
#include <vector>

#include "mlws/common/ids.h"
#include "serving/spec_fields.h"

namespace mlws::serving {

namespace fs = std::filesystem;

StatusOr<bool> HasFileAt(jobs::JobAssets& assets, const std::string& ws,
                         const jobs::ResolvedPath& at, const std::string& rel) {
  if (!at.remote) {
    std::error_code ec;
    return fs::is_regular_file(fs::path(at.local_path) / rel, ec);
  }
  jobs::InputSpec probe;
  probe.name = rel;
  probe.literal = false;
  probe.type = "uri_file";
  probe.path = at.uri + "/" + rel;
  auto found = assets.ResolveInput(ws, probe);
  if (found.ok()) return true;
  if (found.status().code() == ErrorCode::kResourceDoesNotExist) return false;
  // A folder under that name is not the file.
  if (found.status().code() == ErrorCode::kInvalidParameterValue) return false;
  return found.status();
}

StatusOr<std::string> StageIn(jobs::JobAssets& assets, const std::string& ws,
                              const jobs::ResolvedPath& at, const std::string& dest,
                              bool keep_name) {
  if (!at.remote) return at.local_path;
  std::string local = dest;
  if (keep_name) {
    std::string uri = at.uri;
    while (!uri.empty() && uri.back() == '/') uri.pop_back();
    std::string name = uri.substr(uri.find_last_of('/') + 1);
    if (name.empty() || name == "." || name == ".." || name == "paths") name = "files";
    local = (fs::path(dest) / name).string();
  }
  Status fetched = assets.Fetch(ws, at.uri, local);
  if (!fetched.ok()) {
    return Status(fetched.code(), "cannot stage '" + at.uri.substr(0, 300) +
                                      "' in from its blob store: " + fetched.message());
  }
  return local;
}

std::string StagingRoot(const std::string& serving_root, std::int64_t ws_id,
                        const std::string& endpoint, const std::string& deployment) {
  fs::path p = fs::path(serving_root) / "staged" / std::to_string(ws_id) / endpoint;
  if (!deployment.empty()) p /= deployment;
  return p.string();
}

void RemoveStaged(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
}

namespace {

// The copy folder (a direct child of `root`) that holds `path`, or "" when `path` is elsewhere.
std::string CopyOf(const fs::path& root, const std::string& path) {
  if (path.empty()) return "";
  fs::path rel = fs::path(path).lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return "";
  return rel.begin()->string();
}

bool Exists(const std::string& path) {
  std::error_code ec;
  return !path.empty() && fs::exists(path, ec);
}

}  // namespace

void PruneStaged(const std::string& serving_root, std::int64_t ws_id, const OnlineDeployment& d) {
  fs::path root = StagingRoot(serving_root, ws_id, d.endpoint_name, d.name);
  std::string keep_model = CopyOf(root, d.model_local);
  std::string keep_code = CopyOf(root, d.code_local);
  std::error_code ec;
  std::vector<fs::path> stale;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name != keep_model && name != keep_code) stale.push_back(it->path());
  }
  for (const auto& p : stale) fs::remove_all(p, ec);
}

bool FilesStaged(const OnlineDeployment& d) {
  return Exists(d.model_local) && (d.scoring_script.empty() || Exists(d.code_local));
}

StatusOr<StagedCopy> StagedCopy::Make(jobs::JobAssets& assets, const std::string& serving_root,
                                      std::int64_t ws_id, const std::string& ws,
                                      const OnlineDeployment& d) {
  bool has_code = !d.scoring_script.empty();
  ASSIGN_OR_RETURN(jobs::InputSpec in, spec::ModelInput(d.model));
  if (!d.model_ref.empty()) in.path = d.model_ref;  // what was resolved when it was deployed
  ASSIGN_OR_RETURN(jobs::ResolvedPath model, assets.ResolveInput(ws, in));
  StatusOr<jobs::ResolvedPath> code = jobs::ResolvedPath{};
  if (has_code) code = assets.ResolveCode(ws, d.code);
  if (!code.ok()) return code.status();
  StagedCopy copy((fs::path(StagingRoot(serving_root, ws_id, d.endpoint_name, d.name)) /
                   NewRunId().substr(0, 12))
                      .string());
  const std::string dir = copy.folder_->dir();
  ASSIGN_OR_RETURN(copy.model_local_,
                   StageIn(assets, ws, model, (fs::path(dir) / "model").string(), true));
  if (has_code) {
    ASSIGN_OR_RETURN(copy.code_local_,
                     StageIn(assets, ws, *code, (fs::path(dir) / "code").string(), false));
  }
  for (const std::string* p : {&copy.model_local_, &copy.code_local_}) {
    if (!p->empty() && !Exists(*p)) {
      return NotFound("the deployment's files at '" + p->substr(0, 300) + "' are gone");
    }
  }
  return copy;
}

void StagedCopy::Publish(OnlineDeployment& d) {
  d.model_local = model_local_;
  d.code_local = code_local_;
  folder_->Keep();
}

StagingFolder::~StagingFolder() {
  if (keep_ || dir_.empty()) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);
  // The deployment's, endpoint's and workspace's folders too when that leaves them empty
  // (remove() does not delete a folder that has files).
  fs::path p = fs::path(dir_).parent_path();
  for (int up = 0; up < 3 && !p.empty() && p.filename() != "staged"; ++up, p = p.parent_path()) {
    if (!fs::remove(p, ec)) break;
  }
}

}  // namespace mlws::serving
