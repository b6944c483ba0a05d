#include "registries/registry_copy.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "mlws/artifacts/artifact_store.h"

namespace mlws::registries {

namespace {

std::string Join(const std::string& base, const std::string& rel) {
  if (rel.empty()) return base;
  return base.empty() ? rel : base + "/" + rel;
}

}  // namespace

Status CopyPath(const assets::DatastoreLocation& from, const assets::DatastoreLocation& to) {
  if (!from.remote()) return assets::UploadPath(from.local_path, to).status();
  if (!to.remote()) return assets::DownloadPath(from, to.local_path);
  ASSIGN_OR_RETURN(std::vector<assets::StoredFile> files, assets::ListFiles(from));
  if (files.empty()) return NotFound(fmt::format("'{}' does not exist", from.key));
  for (const auto& f : files) {
    if (!f.rel.empty()) RETURN_IF_ERROR(artifacts::ValidateArtifactPath(f.rel));
    ASSIGN_OR_RETURN(auto reader, from.blobs->Get(Join(from.key, f.rel)));
    RETURN_IF_ERROR(to.blobs->Put(Join(to.key, f.rel), *reader));
  }
  return Status::Ok();
}

}  // namespace mlws::registries
