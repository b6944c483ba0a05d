// ValidateArtifactPath: the one check every artifact path and blob key passes.
#include "mlws/artifacts/artifact_store.h"

namespace mlws::artifacts {

Status ValidateArtifactPath(std::string_view path) {
  if (path.empty()) return Status::Ok();
  if (path.front() == '/') return InvalidArgument("Invalid path: absolute paths are not allowed");
  if (path.size() > 4096) return InvalidArgument("Invalid path: longer than 4096 characters");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") return InvalidArgument("Invalid path: '..' is not allowed");
    if (seg == ".") return InvalidArgument("Invalid path: '.' segments are not allowed");
    if (seg.empty() && end != path.size()) {
      return InvalidArgument("Invalid path: empty path segment");
    }
    start = end + 1;
  }
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\\') {
      return InvalidArgument("Invalid path: control characters and backslashes are not allowed");
    }
  }
  return Status::Ok();
}

}  // namespace mlws::artifacts
