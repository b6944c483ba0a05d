// MLflow model registry: model versions, stages, tags, download URIs.
#include "api/handlers.h"
#include "api/mlflow3_handlers.h"
#include "api/mlflow_json.h"
#include "api/registry_json.h"

namespace mlws::api {

using nlohmann::json;

namespace {
StatusOr<json> VersionReply(const StatusOr<assets::ModelVersion>& v) {
  if (!v.ok()) return v.status();
  return json{{"model_version", ToJson(*v)}};
}
}  // namespace

http::Response CreateModelVersion(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    assets::ModelVersion v;
    ASSIGN_OR_RETURN(v.name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(v.source, d.RequiredString("source"));
    ASSIGN_OR_RETURN(auto run_id, d.OptionalString("run_id"));
    v.run_id = run_id.value_or("");
    ASSIGN_OR_RETURN(auto link, d.OptionalString("run_link"));
    v.run_link = link.value_or("");
    ASSIGN_OR_RETURN(auto desc, d.OptionalString("description"));
    v.description = desc.value_or("");
    ASSIGN_OR_RETURN(v.tags, ParseKeyValues(d.Json("tags"), "tags", false));
    v.user_id = req.user_id != 0 ? req.user : "";
    ASSIGN_OR_RETURN(auto model_id, d.OptionalString("model_id"));
    RETURN_IF_ERROR(ResolveLoggedModelSource(ctx, req, v.source, model_id.value_or(""), v.run_id));
    return VersionReply(ctx.registry.CreateModelVersion(req.workspace, std::move(v)));
  }());
}

http::Response GetModelVersion(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string version, VersionParam(d));
    return VersionReply(ctx.registry.GetModelVersion(req.workspace, name, version));
  }());
}

http::Response UpdateModelVersion(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string version, VersionParam(d));
    ASSIGN_OR_RETURN(auto desc, d.OptionalString("description"));
    return VersionReply(
        ctx.registry.UpdateModelVersion(req.workspace, name, version, desc.value_or("")));
  }());
}

http::Response DeleteModelVersion(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string version, VersionParam(d));
    return ctx.registry.DeleteModelVersion(req.workspace, name, version);
  }());
}

http::Response TransitionModelVersionStage(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string version, VersionParam(d));
    ASSIGN_OR_RETURN(std::string stage, d.RequiredString("stage"));
    ASSIGN_OR_RETURN(auto archive, d.OptionalBool("archive_existing_versions"));
    return VersionReply(
        ctx.registry.TransitionStage(req.workspace, name, version, stage, archive.value_or(false)));
  }());
}

http::Response GetModelVersionDownloadUri(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string version, VersionParam(d));
    ASSIGN_OR_RETURN(auto v, ctx.registry.GetModelVersion(req.workspace, name, version));
    return json{{"artifact_uri", v.source}};
  }());
}

http::Response SearchModelVersions(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(auto s, RegistrySearchParams(d, 10000));
    ASSIGN_OR_RETURN(auto page, ctx.registry.SearchModelVersions(req.workspace, s));
    json out = json::object();
    if (!page.versions.empty()) {
      json arr = json::array();
      for (const auto& v : page.versions) arr.push_back(ToJson(v));
      out["model_versions"] = std::move(arr);
    }
    if (!page.next_page_token.empty()) out["next_page_token"] = page.next_page_token;
    return out;
  }());
}

http::Response SetModelVersionTag(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string version, VersionParam(d));
    ASSIGN_OR_RETURN(std::string key, d.RequiredString("key"));
    ASSIGN_OR_RETURN(auto value, d.OptionalString("value"));
    return ctx.registry.SetModelVersionTag(req.workspace, name, version, {key, value.value_or("")});
  }());
}

http::Response DeleteModelVersionTag(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string version, VersionParam(d));
    ASSIGN_OR_RETURN(std::string key, d.RequiredString("key"));
    return ctx.registry.DeleteModelVersionTag(req.workspace, name, version, key);
  }());
}

}  // namespace mlws::api
