// The MLflow artifact proxy (mlflow-artifacts) and the run-artifact helpers the UI uses.
// Every path is scoped to the request's workspace: "<workspace id>/<path>" in the store.
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

http::Response StreamFile(ApiContext& ctx, const std::string& scoped, const std::string& name) {
  auto f = ctx.artifacts.Open(scoped);
  if (!f.ok()) return http::ErrorResponse(f.status());
  http::Response r;
  r.content_type = ContentTypeFor(name);
  r.file_path = f->local_path;
  r.file_size = f->size;
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

http::Response MultipartUnsupported(ApiContext&, http::Request&) {
  return http::ErrorResponse(
      Status(ErrorCode::kNotImplemented,
             "Multipart upload is not supported by this artifact store; unset "
             "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD to upload through the proxy in one request."));
}

}  // namespace mlws::api
