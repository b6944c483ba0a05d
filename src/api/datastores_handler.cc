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

// An S3 datastore's bucket (and prefix) as a BlobStore, signed with the credentials its
// `credentials_secret` names in the workspace vault: a JSON object {"access_key_id",
// "secret_access_key"[, "session_token"]}. Without a secret the server's AWS_* variables apply.
// Null (and OK) for datastores of other types.
StatusOr<std::unique_ptr<artifacts::BlobStore>> OpenS3Datastore(ApiContext& ctx,
                                                                const http::Request& req) {
  const std::string& name = req.path_params.at("name");
  ASSIGN_OR_RETURN(assets::Datastore d, ctx.assets.GetDatastore(Ws(req), name));
  if (d.type != "s3") return std::unique_ptr<artifacts::BlobStore>();
  json spec = json::parse(d.spec_json, nullptr, false);
  if (!spec.is_object()) return Internal("datastore '" + name + "' has an unreadable spec");
  artifacts::S3Options o;
  o.endpoint_url = spec.value("endpoint_url", "");
  o.region = spec.value("region", "");
  std::string secret = spec.value("credentials_secret", "");
  if (!secret.empty()) {
    // A shared datastore's secret is in the shared (server-scope) vault, not the workspace's.
    const bool shared =
        spec.contains("shared") && spec["shared"].is_boolean() && spec["shared"].get<bool>();
    ASSIGN_OR_RETURN(
        std::int64_t wid,
        ctx.tracking.WorkspaceId(shared ? std::string(assets::kSharedWorkspace) : Ws(req)));
    ASSIGN_OR_RETURN(std::string value, ctx.secrets.Get(wid, secret));
    json c = json::parse(value, nullptr, false);
    if (!c.is_object() || !c.value("access_key_id", json()).is_string() ||
        !c.value("secret_access_key", json()).is_string()) {
      return InvalidArgument("secret '" + secret + "' of datastore '" + name +
                             "' must be a JSON object with string fields access_key_id and "
                             "secret_access_key (and optionally session_token)");
    }
    o.access_key_id = c["access_key_id"].get<std::string>();
    o.secret_access_key = c["secret_access_key"].get<std::string>();
    if (c.value("session_token", json()).is_string()) o.session_token = c["session_token"];
  }
  std::string prefix = spec.value("prefix", "");
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  std::string uri = "s3://" + spec.value("bucket", "") + (prefix.empty() ? "" : "/" + prefix);
  auto store = artifacts::OpenBlobStore(uri, o);
  if (!store.ok()) {
    // An unreachable endpoint is the datastore's configuration at fault: a 400, not a 503.
    ErrorCode code = store.status().code() == ErrorCode::kTemporarilyUnavailable
                         ? ErrorCode::kInvalidParameterValue
                         : store.status().code();
    return Status(code, "datastore '" + name + "' (" + uri + "): " + store.status().message());
  }
  return std::move(*store);
}

// Streams a blob of a store opened for this request as a response body (the store outlives
// the reader: members are destroyed in reverse order).
class BlobBody final : public http::BodySource {
 public:
  BlobBody(std::unique_ptr<artifacts::BlobStore> store, std::unique_ptr<artifacts::BlobReader> r)
      : store_(std::move(store)), r_(std::move(r)) {}
  StatusOr<std::size_t> Read(char* buf, std::size_t cap) override { return r_->Read(buf, cap); }
  std::optional<std::int64_t> Size() const override { return r_->Size(); }

 private:
  std::unique_ptr<artifacts::BlobStore> store_;
  std::unique_ptr<artifacts::BlobReader> r_;
};

StatusOr<std::vector<assets::DatastoreFile>> ListS3Files(artifacts::BlobStore& blobs,
                                                         const std::string& path) {
  std::vector<assets::DatastoreFile> out;
  if (!path.empty()) {
    if (auto st = blobs.Stat(path); st.ok()) {
      out.push_back({"", false, st->size});
      return out;
    }
  }
  artifacts::ListOptions o;
  o.prefix = path.empty() ? "" : path + "/";
  o.delimited = true;
  do {
    ASSIGN_OR_RETURN(artifacts::BlobPage page, blobs.List(o));
    for (const auto& b : page.blobs) out.push_back({b.key.substr(o.prefix.size()), false, b.size});
    for (const auto& p : page.prefixes) {
      out.push_back({p.substr(o.prefix.size(), p.size() - o.prefix.size() - 1), true, 0});
    }
    o.page_token = page.next_page_token;
  } while (!o.page_token.empty());
  if (out.empty() && !path.empty()) return NotFound("'" + path + "' does not exist");
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

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
    ASSIGN_OR_RETURN(auto s3, OpenS3Datastore(ctx, req));
    std::vector<assets::DatastoreFile> files;
    if (s3 != nullptr) {
      ASSIGN_OR_RETURN(files, ListS3Files(*s3, path));
    } else {
      ASSIGN_OR_RETURN(files,
                       ctx.assets.ListDatastoreFiles(Ws(req), req.path_params.at("name"), path));
    }
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
  auto s3 = OpenS3Datastore(ctx, req);
  if (!s3.ok()) return http::ErrorResponse(s3.status());
  if (*s3 != nullptr) {
    auto reader = (*s3)->Get(path);
    if (!reader.ok()) return http::ErrorResponse(reader.status());
    http::Response r;
    r.content_type = "application/octet-stream";
    r.body_source = std::make_shared<BlobBody>(std::move(*s3), std::move(*reader));
    return r;
  }
  auto local = ctx.assets.LocalPath(
      Ws(req), "azureml://datastores/" + req.path_params.at("name") + "/paths/" + path);
  if (!local.ok()) return http::ErrorResponse(local.status());
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
