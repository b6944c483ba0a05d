// MLflow model registry: registered models, their tags and aliases.
#include "api/handlers.h"
#include "api/mlflow_json.h"
#include "api/registry_json.h"

namespace mlws::api {

using nlohmann::json;

StatusOr<std::string> VersionParam(const RequestDecoder& d) {
  const json& raw = d.Json("version");
  if (raw.is_number_integer()) return std::to_string(raw.get<std::int64_t>());
  ASSIGN_OR_RETURN(auto v, d.OptionalString("version"));
  if (!v || v->empty()) return MissingParameter("version");
  return *v;
}

StatusOr<assets::RegistrySearch> RegistrySearchParams(const RequestDecoder& d,
                                                      std::int64_t default_max) {
  assets::RegistrySearch s;
  ASSIGN_OR_RETURN(auto filter, d.OptionalString("filter"));
  s.filter = filter.value_or("");
  ASSIGN_OR_RETURN(auto max, d.OptionalInt("max_results"));
  s.max_results = max.value_or(default_max);
  ASSIGN_OR_RETURN(s.order_by, d.StringList("order_by"));
  ASSIGN_OR_RETURN(auto token, d.OptionalString("page_token"));
  s.page_token = token.value_or("");
  return s;
}

namespace {
StatusOr<json> ModelReply(const StatusOr<assets::RegisteredModel>& m) {
  if (!m.ok()) return m.status();
  return json{{"registered_model", ToJson(*m)}};
}
}  // namespace

http::Response CreateRegisteredModel(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(auto desc, d.OptionalString("description"));
    ASSIGN_OR_RETURN(auto tags, ParseKeyValues(d.Json("tags"), "tags", false));
    return ModelReply(
        ctx.registry.CreateRegisteredModel(req.workspace, name, desc.value_or(""), tags));
  }());
}

http::Response GetRegisteredModel(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    return ModelReply(ctx.registry.GetRegisteredModel(req.workspace, name));
  }());
}

http::Response RenameRegisteredModel(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string new_name, d.RequiredString("new_name"));
    return ModelReply(ctx.registry.RenameRegisteredModel(req.workspace, name, new_name));
  }());
}

http::Response UpdateRegisteredModel(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(auto desc, d.OptionalString("description"));
    return ModelReply(ctx.registry.UpdateRegisteredModel(req.workspace, name, desc.value_or("")));
  }());
}

http::Response DeleteRegisteredModel(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    return ctx.registry.DeleteRegisteredModel(req.workspace, name);
  }());
}

http::Response SearchRegisteredModels(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(auto s, RegistrySearchParams(d, 100));
    ASSIGN_OR_RETURN(auto page, ctx.registry.SearchRegisteredModels(req.workspace, s));
    json out = json::object();
    if (!page.models.empty()) {
      json arr = json::array();
      for (const auto& m : page.models) arr.push_back(ToJson(m));
      out["registered_models"] = std::move(arr);
    }
    if (!page.next_page_token.empty()) out["next_page_token"] = page.next_page_token;
    return out;
  }());
}

http::Response GetLatestVersions(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(auto stages, d.StringList("stages"));
    ASSIGN_OR_RETURN(auto versions, ctx.registry.GetLatestVersions(req.workspace, name, stages));
    json out = json::object();
    if (!versions.empty()) {
      json arr = json::array();
      for (const auto& v : versions) arr.push_back(ToJson(v));
      out["model_versions"] = std::move(arr);
    }
    return out;
  }());
}

http::Response SetRegisteredModelTag(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string key, d.RequiredString("key"));
    ASSIGN_OR_RETURN(auto value, d.OptionalString("value"));
    return ctx.registry.SetRegisteredModelTag(req.workspace, name, {key, value.value_or("")});
  }());
}

http::Response DeleteRegisteredModelTag(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string key, d.RequiredString("key"));
    return ctx.registry.DeleteRegisteredModelTag(req.workspace, name, key);
  }());
}

http::Response SetRegisteredModelAlias(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string alias, d.RequiredString("alias"));
    ASSIGN_OR_RETURN(std::string version, VersionParam(d));
    return ctx.registry.SetAlias(req.workspace, name, alias, version);
  }());
}

http::Response DeleteRegisteredModelAlias(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string alias, d.RequiredString("alias"));
    return ctx.registry.DeleteAlias(req.workspace, name, alias);
  }());
}

http::Response GetModelVersionByAlias(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string alias, d.RequiredString("alias"));
    ASSIGN_OR_RETURN(auto v, ctx.registry.GetVersionByAlias(req.workspace, name, alias));
    return json{{"model_version", ToJson(v)}};
  }());
}

}  // namespace mlws::api
