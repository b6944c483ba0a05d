// ArtifactStore over a BlobStore: MLflow's folder view (basenames, folders from common
// prefixes) of a flat key space.
#include "mlws/artifacts/artifact_store.h"

#include <algorithm>
#include <filesystem>

namespace mlws::artifacts {

namespace {

std::string Basename(std::string_view key) {
  auto slash = key.rfind('/');
  return std::string(slash == std::string_view::npos ? key : key.substr(slash + 1));
}

class BlobArtifactStore final : public ArtifactStore {
 public:
  BlobArtifactStore(std::unique_ptr<BlobStore> blobs, std::string staging)
      : blobs_(std::move(blobs)), staging_(std::move(staging)) {}

  std::string StagingDir() const override { return staging_; }
  BlobStore& blobs() override { return *blobs_; }

  Status Commit(const std::string& staged_file, const std::string& path) override {
    RETURN_IF_ERROR(ValidateArtifactPath(path));
    if (path.empty()) return InvalidArgument("an artifact upload needs a file path");
    return blobs_->PutFile(path, staged_file);
  }

  Status PutBytes(const std::string& path, std::string_view data) override {
    RETURN_IF_ERROR(ValidateArtifactPath(path));
    auto reader = StringReader(std::string(data));
    return blobs_->Put(path, *reader);
  }

  StatusOr<ReadableFile> Open(const std::string& path) override {
    RETURN_IF_ERROR(ValidateArtifactPath(path));
    if (path.empty()) return InvalidArgument("'' is a folder, not a file");
    auto reader = blobs_->Get(path);
    if (!reader.ok()) {
      if (reader.status().code() != ErrorCode::kResourceDoesNotExist) return reader.status();
      ASSIGN_OR_RETURN(auto inside, List(path));
      if (!inside.empty()) return InvalidArgument("'" + path + "' is a folder, not a file");
      return NotFound("Artifact '" + path + "' does not exist");
    }
    std::int64_t size = (*reader)->Size().value_or(0);
    return ReadableFile{std::move(*reader), size};
  }

  StatusOr<std::vector<FileInfo>> List(const std::string& path) override {
    RETURN_IF_ERROR(ValidateArtifactPath(path));
    ListOptions o;
    o.prefix = path.empty() ? "" : path + "/";
    o.delimited = true;
    std::vector<FileInfo> out;
    do {
      ASSIGN_OR_RETURN(BlobPage page, blobs_->List(o));
      for (const auto& b : page.blobs) out.push_back({Basename(b.key), false, b.size});
      for (const auto& p : page.prefixes) {
        out.push_back({Basename(std::string_view(p).substr(0, p.size() - 1)), true, {}});
      }
      o.page_token = page.next_page_token;
    } while (!o.page_token.empty());
    std::sort(out.begin(), out.end(),
              [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
    return out;
  }

  Status Delete(const std::string& path) override {
    RETURN_IF_ERROR(ValidateArtifactPath(path));
    if (path.empty()) return InvalidArgument("refusing to delete the artifact root");
    Status st = blobs_->Delete(path);
    if (st.code() != ErrorCode::kResourceDoesNotExist) return st;
    ASSIGN_OR_RETURN(std::int64_t n, blobs_->DeletePrefix(path + "/"));
    if (n == 0) return NotFound("Artifact '" + path + "' does not exist");
    return Status::Ok();
  }

 private:
  std::unique_ptr<BlobStore> blobs_;
  const std::string staging_;
};

}  // namespace

StatusOr<std::unique_ptr<ArtifactStore>> NewArtifactStore(std::unique_ptr<BlobStore> blobs,
                                                          const std::string& staging_dir) {
  std::string staging = blobs->PreferredStagingDir();
  if (staging.empty()) {
    if (staging_dir.empty()) return InvalidArgument("the artifact store needs a staging folder");
    std::error_code ec;
    std::filesystem::create_directories(staging_dir, ec);
    if (ec) return Internal("cannot create staging folder " + staging_dir + ": " + ec.message());
    staging = staging_dir;
  }
  return std::unique_ptr<ArtifactStore>(
      std::make_unique<BlobArtifactStore>(std::move(blobs), std::move(staging)));
}

StatusOr<std::unique_ptr<ArtifactStore>> OpenArtifactStore(const std::string& uri,
                                                           const S3Options& s3,
                                                           const std::string& staging_dir) {
  ASSIGN_OR_RETURN(auto blobs, OpenBlobStore(uri, s3));
  return NewArtifactStore(std::move(blobs), staging_dir);
}

}  // namespace mlws::artifacts
