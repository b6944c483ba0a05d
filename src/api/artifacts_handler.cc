// The MLflow artifact proxy (mlflow-artifacts) and the run-artifact helpers the UI uses.
// Every path is scoped to the request's workspace: "<workspace id>/<path>" in the store.
#include <algorithm>
#include <string_view>

#include "api/handlers.h"
#include "api/mlflow_json.h"

namespace mlws::api {

using nlohmann::json;

namespace {

constexpr std::string_view kProxyScheme = "mlflow-artifacts:";

StatusOr<std::string> ScopedPath(ApiContext& ctx, const http::Request& req,
                                 const std::string& path) {
  RETURN_IF_ERROR(artifacts::ValidateArtifactPath(path));
  ASSIGN_OR_RETURN(std::int64_t wid, ctx.tracking.WorkspaceId(req.workspace));
  std::string scoped = std::to_string(wid);
  if (!path.empty()) scoped += "/" + path;
  return scoped;
}

std::string ContentTypeFor(std::string_view path) {
  auto dot = path.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  if (ext == "json") return "application/json";
  if (ext == "txt" || ext == "log" || ext == "py" || ext == "yaml" || ext == "yml" || ext == "md" ||
      ext == "csv" || ext == "MLmodel") {
    return "text/plain; charset=utf-8";
  }
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "html") return "text/plain; charset=utf-8";  // never render user HTML inline
  return "application/octet-stream";
}

// Streams a blob to the client as the server sends the response.
class BlobBodySource final : public http::BodySource {
 public:
  explicit BlobBodySource(std::unique_ptr<artifacts::BlobReader> reader)
      : reader_(std::move(reader)) {}
  StatusOr<std::size_t> Read(char* buf, std::size_t cap) override {
    return reader_->Read(buf, cap);
  }
  std::optional<std::int64_t> Size() const override { return reader_->Size(); }

 private:
  std::unique_ptr<artifacts::BlobReader> reader_;
};

http::Response StreamFile(ApiContext& ctx, const std::string& scoped, const std::string& name) {
  auto f = ctx.artifacts.Open(scoped);
  if (!f.ok()) return http::ErrorResponse(f.status());
  http::Response r;
  r.content_type = ContentTypeFor(name);
  r.body_source = std::make_shared<BlobBodySource>(std::move(f->reader));
  auto slash = name.rfind('/');
  std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
  std::string safe;
  for (char c : base)
    safe += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '_' : c;
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + safe + "\"");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

// The workspace's datastores live under "datastores/" in its artifact folder: readable through
// the proxy (MLflow clients download model versions from there) but written only by the asset
// API, so content-addressed uploads stay immutable.
Status RefuseDatastoreWrite(const std::string& path) {
  if (path == "datastores" || path.rfind("datastores/", 0) == 0) {
    return Status(ErrorCode::kPermissionDenied,
                  "'datastores/' holds the workspace's datastores and uploads: write them through "
                  "/api/v1/workspaces/<ws>/uploads and the asset API, not the artifact proxy");
  }
  return Status::Ok();
}

// Maps a run's artifact URI ("mlflow-artifacts:/1/<run>/artifacts") to its store path.
StatusOr<std::string> RunArtifactRoot(const std::string& artifact_uri) {
  if (artifact_uri.rfind(kProxyScheme, 0) != 0) {
    return InvalidArgument("run artifacts at '" + artifact_uri +
                           "' are not served by this server's artifact proxy");
  }
  std::string rest = artifact_uri.substr(kProxyScheme.size());
  while (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
  return rest;
}

}  // namespace

http::Response UploadArtifact(ApiContext& ctx, http::Request& req) {
  const std::string& path = req.path_params["path"];
  auto scoped = ScopedPath(ctx, req, path);
  if (!scoped.ok()) return http::ErrorResponse(scoped.status());
  if (path.empty() || path.back() == '/') {
    return http::ErrorResponse(InvalidArgument("an artifact upload needs a file path"));
  }
  if (Status st = RefuseDatastoreWrite(path); !st.ok()) return http::ErrorResponse(st);
  if (ctx.quota != nullptr) {
    auto wid = ctx.tracking.WorkspaceId(req.workspace);
    if (!wid.ok()) return http::ErrorResponse(wid.status());
    if (Status st = ctx.quota->Admit(*wid, req.body_size); !st.ok()) return http::ErrorResponse(st);
  }
  return Reply(ctx.artifacts.Commit(req.body_file, *scoped));
}

http::Response DownloadArtifact(ApiContext& ctx, http::Request& req) {
  const std::string& path = req.path_params["path"];
  auto scoped = ScopedPath(ctx, req, path);
  if (!scoped.ok()) return http::ErrorResponse(scoped.status());
  return StreamFile(ctx, *scoped, path);
}

http::Response ListProxiedArtifacts(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    std::string path = req.Query("path").value_or("");
    while (!path.empty() && path.back() == '/') path.pop_back();
    ASSIGN_OR_RETURN(std::string scoped, ScopedPath(ctx, req, path));
    ASSIGN_OR_RETURN(auto files, ctx.artifacts.List(scoped));
    json out = json::object();
    if (files.empty()) return out;
    json arr = json::array();
    for (const auto& f : files) {
      json j = {{"path", f.path}, {"is_dir", f.is_dir}};
      if (f.file_size && *f.file_size != 0) j["file_size"] = *f.file_size;  // 0 is omitted
      arr.push_back(std::move(j));
    }
    out["files"] = std::move(arr);
    return out;
  }());
}

http::Response DeleteArtifact(ApiContext& ctx, http::Request& req) {
  const std::string& path = req.path_params["path"];
  auto scoped = ScopedPath(ctx, req, path);
  if (!scoped.ok()) return http::ErrorResponse(scoped.status());
  if (path.empty()) return http::ErrorResponse(InvalidArgument("a path to delete is required"));
  if (Status st = RefuseDatastoreWrite(path); !st.ok()) return http::ErrorResponse(st);
  return Reply(ctx.artifacts.Delete(*scoped));
}

http::Response ListRunArtifacts(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string run_id, RunIdParam(d));
    ASSIGN_OR_RETURN(auto sub, d.OptionalString("path"));
    std::string path = sub.value_or("");
    while (!path.empty() && path.back() == '/') path.pop_back();
    RETURN_IF_ERROR(artifacts::ValidateArtifactPath(path));
    ASSIGN_OR_RETURN(auto run, ctx.tracking.GetRun(req.workspace, run_id));
    ASSIGN_OR_RETURN(std::string root, RunArtifactRoot(run.info.artifact_uri));
    ASSIGN_OR_RETURN(std::string scoped,
                     ScopedPath(ctx, req, path.empty() ? root : root + "/" + path));
    ASSIGN_OR_RETURN(auto files, ctx.artifacts.List(scoped));
    json out = {{"root_uri", run.info.artifact_uri}};
    json arr = json::array();
    for (const auto& f : files) {
      json j = {{"path", path.empty() ? f.path : path + "/" + f.path}, {"is_dir", f.is_dir}};
      if (f.file_size && *f.file_size != 0) j["file_size"] = *f.file_size;
      arr.push_back(std::move(j));
    }
    if (!arr.empty()) out["files"] = std::move(arr);
    return out;
  }());
}

http::Response GetArtifact(ApiContext& ctx, http::Request& req) {
  auto result = [&]() -> StatusOr<std::pair<std::string, std::string>> {
    std::string run_id = req.Query("run_uuid").value_or(req.Query("run_id").value_or(""));
    if (run_id.empty()) return MissingParameter("run_uuid");
    std::string path = req.Query("path").value_or("");
    if (path.empty()) return MissingParameter("path");
    RETURN_IF_ERROR(artifacts::ValidateArtifactPath(path));
    ASSIGN_OR_RETURN(auto run, ctx.tracking.GetRun(req.workspace, run_id));
    ASSIGN_OR_RETURN(std::string root, RunArtifactRoot(run.info.artifact_uri));
    ASSIGN_OR_RETURN(std::string scoped, ScopedPath(ctx, req, root + "/" + path));
    return std::make_pair(scoped, path);
  }();
  if (!result.ok()) return http::ErrorResponse(result.status());
  return StreamFile(ctx, result->first, result->second);
}

// MLflow's proxied multipart upload (MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true): the client
// PUTs each part straight to the object store through a presigned URL; mlws starts, completes
// and aborts. The route's path is the artifact folder, the body's "path" the file.
namespace {

constexpr int kPartUrlSeconds = 3600;

StatusOr<std::string> MultipartKey(ApiContext& ctx, http::Request& req, const RequestDecoder& d) {
  ASSIGN_OR_RETURN(std::string file, d.RequiredString("path"));
  std::string base = file.substr(file.rfind('/') + 1);
  if (base.empty()) return InvalidArgument("a multipart upload needs a file path");
  std::string dir = req.path_params["path"];
  while (!dir.empty() && dir.back() == '/') dir.pop_back();
  std::string rel = dir.empty() ? base : dir + "/" + base;
  RETURN_IF_ERROR(RefuseDatastoreWrite(rel));
  return ScopedPath(ctx, req, rel);
}

}  // namespace

http::Response CreateMultipartUpload(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string key, MultipartKey(ctx, req, d));
    ASSIGN_OR_RETURN(auto num_parts, d.OptionalInt("num_parts"));
    std::int64_t n = num_parts.value_or(1);
    if (n < 1 || n > 10000) {
      return InvalidArgument("num_parts must be between 1 and 10000, got " + std::to_string(n));
    }
    auto& blobs = ctx.artifacts.blobs();
    if (!blobs.SupportsPresignedParts()) {
      return Status(ErrorCode::kNotImplemented,
                    // MLflow's client falls back to a single upload on this exact opening.
                    "Multipart upload is not supported for the current artifact repository (a "
                    "local folder): upload through the proxy in one request");
    }
    ASSIGN_OR_RETURN(std::string id, blobs.CreateMultipart(key));
    json creds = json::array();
    for (int i = 1; i <= n; ++i) {
      auto url = blobs.PresignUploadPart(key, id, i, kPartUrlSeconds);
      if (!url.ok()) {
        (void)blobs.AbortMultipart(key, id);
        return url.status();
      }
      creds.push_back({{"url", *url}, {"part_number", i}, {"headers", json::object()}});
    }
    return json{{"upload_id", id}, {"credentials", std::move(creds)}};
  }());
}

http::Response CompleteMultipartUpload(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string key, MultipartKey(ctx, req, d));
    ASSIGN_OR_RETURN(std::string id, d.RequiredString("upload_id"));
    const json& jparts = d.Json("parts");
    if (!jparts.is_array()) return MissingParameter("parts");
    std::vector<artifacts::CompletedPart> parts;
    for (const auto& p : jparts) {
      if (!p.is_object()) return InvalidArgument("each of 'parts' must be an object");
      ASSIGN_OR_RETURN(std::int64_t num,
                       JsonToInt64(p.value("part_number", json()), "part_number"));
      ASSIGN_OR_RETURN(std::string etag, JsonToString(p.value("etag", json("")), "etag"));
      etag.erase(std::remove(etag.begin(), etag.end(), '"'), etag.end());
      if (num < 1 || num > 10000) return InvalidArgument("part_number must be 1..10000");
      parts.push_back({static_cast<int>(num), std::move(etag)});
    }
    RETURN_IF_ERROR(ctx.artifacts.blobs().CompleteMultipart(key, id, parts));
    return json::object();
  }());
}

http::Response AbortMultipartUpload(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string key, MultipartKey(ctx, req, d));
    ASSIGN_OR_RETURN(std::string id, d.RequiredString("upload_id"));
    RETURN_IF_ERROR(ctx.artifacts.blobs().AbortMultipart(key, id));
    return json::object();
  }());
}

}  // namespace mlws::api
