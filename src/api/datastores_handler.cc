// /api/v1/workspaces/{ws}/datastores and /uploads: datastores, browsing them, and the
// content-addressed uploads the CLI makes for local asset paths and job code.
#include <algorithm>
#include <filesystem>

#include "api/asset_json.h"
#include "api/handlers.h"
#include "mlws/artifacts/artifact_store.h"

namespace mlws::api {

using nlohmann::json;

namespace {
const std::string& Ws(const http::Request& req) { return req.path_params.at("ws"); }

// Streams a blob of a store opened for this request as a response body (the store outlives
// the reader: members are destroyed in reverse order).
class BlobBody final : public http::BodySource {
 public:
  BlobBody(std::shared_ptr<artifacts::BlobStore> store, std::unique_ptr<artifacts::BlobReader> r)
      : store_(std::move(store)), r_(std::move(r)) {}
  StatusOr<std::size_t> Read(char* buf, std::size_t cap) override { return r_->Read(buf, cap); }
  std::optional<std::int64_t> Size() const override { return r_->Size(); }

 private:
  std::shared_ptr<artifacts::BlobStore> store_;
  std::unique_ptr<artifacts::BlobReader> r_;
};

}  // namespace

http::Response CreateDatastore(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto d, ctx.assets.CreateDatastore(Ws(req), req.body, req.user));
    return ToJson(d);
  }());
}

http::Response ListDatastores(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto list, ctx.assets.ListDatastores(Ws(req)));
    json out = json::array();
    for (const auto& d : list) out.push_back(ToJson(d));
    return json{{"value", out}};
  }());
}

http::Response GetDatastore(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto d, ctx.assets.GetDatastore(Ws(req), req.path_params.at("name")));
    return ToJson(d);
  }());
}

http::Response DeleteDatastore(ApiContext& ctx, http::Request& req) {
  return Reply(ctx.assets.DeleteDatastore(Ws(req), req.path_params.at("name")));
}

http::Response ListDatastoreFiles(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    std::string path = req.Query("path").value_or("");
    while (!path.empty() && path.back() == '/') path.pop_back();
    RETURN_IF_ERROR(artifacts::ValidateArtifactPath(path));
    ASSIGN_OR_RETURN(auto files,
                     ctx.assets.ListDatastoreFiles(Ws(req), req.path_params.at("name"), path));
    json out = json::array();
    for (const auto& f : files) {
      std::string full = f.path.empty() ? path : path.empty() ? f.path : path + "/" + f.path;
      json e = {{"path", full}, {"is_dir", f.is_dir}};
      if (!f.is_dir) e["file_size"] = f.size;
      out.push_back(e);
    }
    return json{{"files", out}};
  }());
}

http::Response DownloadDatastoreFile(ApiContext& ctx, http::Request& req) {
  const std::string& path = req.path_params.at("path");
  Status valid = artifacts::ValidateArtifactPath(path);
  if (!valid.ok() || path.empty()) {
    return http::ErrorResponse(valid.ok() ? InvalidArgument("a file path is needed") : valid);
  }
  auto at = ctx.assets.Locate(
      Ws(req), "azureml://datastores/" + req.path_params.at("name") + "/paths/" + path);
  if (!at.ok()) return http::ErrorResponse(at.status());
  if (at->remote()) {
    auto reader = at->blobs->Get(at->key);
    if (!reader.ok()) return http::ErrorResponse(reader.status());
    http::Response r;
    r.content_type = "application/octet-stream";
    r.body_source = std::make_shared<BlobBody>(at->blobs, std::move(*reader));
    return r;
  }
  const std::string* local = &at->local_path;
  std::error_code ec;
  auto st = std::filesystem::status(*local, ec);
  if (ec || !std::filesystem::is_regular_file(st)) {
    return http::ErrorResponse(NotFound("no such file: " + path));
  }
  http::Response r;
  r.content_type = "application/octet-stream";
  r.file_path = *local;
  r.file_size = static_cast<std::int64_t>(std::filesystem::file_size(*local, ec));
  return r;
}

http::Response GetUpload(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    const std::string& hash = req.path_params.at("hash");
    ASSIGN_OR_RETURN(bool have, ctx.assets.HasUpload(Ws(req), hash));
    if (!have) return NotFound("no upload with content hash " + hash);
    return json{{"hash", hash}, {"uri", assets::UploadUri(hash)}};
  }());
}

http::Response PutUpload(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    const std::string& hash = req.path_params.at("hash");
    if (req.body_file.empty()) return BadRequest("the upload body (tar+zstd) is missing");
    ASSIGN_OR_RETURN(auto info, ctx.assets.AcceptUpload(Ws(req), hash, req.body_file));
    return json{{"hash", info.hash},
                {"files", info.files},
                {"bytes", info.bytes},
                {"uri", assets::UploadUri(hash)}};
  }());
}

}  // namespace mlws::api
