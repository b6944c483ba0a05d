#include "serving/stage_in.h"

#include <filesystem>

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

StagingFolder::~StagingFolder() {
  if (keep_ || dir_.empty()) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

}  // namespace mlws::serving
