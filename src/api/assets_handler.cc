// /api/v1/workspaces/{ws}/{models,data,environments,components}: versioned assets.
// The collection is the path segment after the workspace.
#include <filesystem>

#include "api/asset_json.h"
#include "api/handlers.h"

namespace mlws::api {

using nlohmann::json;

namespace {

StatusOr<assets::AssetKind> KindOf(const http::Request& req) {
  // "/api/v1/workspaces/<ws>/<collection>/..."
  // (or "/api/v1/registries/<reg>/<collection>/...", registries_handler.h)
  std::string_view kPrefix = "/api/v1/workspaces/";
  std::string_view p = req.path;
  if (p.rfind("/api/v1/registries/", 0) == 0) kPrefix = "/api/v1/registries/";
  if (p.substr(0, kPrefix.size()) == kPrefix) {
    p.remove_prefix(kPrefix.size());
    size_t slash = p.find('/');
    if (slash != std::string_view::npos) {
      p.remove_prefix(slash + 1);
      auto kind = assets::ParseAssetKind(std::string(p.substr(0, p.find('/'))));
      if (kind) return *kind;
    }
  }
  return Internal("asset route without a collection");
}

const std::string& Ws(const http::Request& req) { return req.path_params.at("ws"); }

json ListReply(const std::vector<assets::Asset>& list) {
  json out = json::array();
  for (const auto& a : list) out.push_back(ToJson(a));
  return json{{"value", out}};
}

bool TrueParam(const http::Request& req, std::string_view name) {
  auto v = req.Query(name);
  return v && (*v == "true" || *v == "1");
}

}  // namespace

http::Response CreateAsset(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto kind, KindOf(req));
    std::string run_id = req.Query("source_run_id").value_or("");
    ASSIGN_OR_RETURN(auto a, ctx.assets.Create(Ws(req), kind, req.body, req.user, run_id));
    return ToJson(a);
  }());
}

http::Response ListAssets(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto kind, KindOf(req));
    if (auto ref = req.Query("reference")) {
      // Any reference form (azureml:n:v, n@latest, azureml://registries/…) -> that version.
      ASSIGN_OR_RETURN(auto a, ctx.assets.Resolve(Ws(req), kind, *ref));
      return ListReply({a});
    }
    assets::AssetListOptions opt;
    opt.all_versions = TrueParam(req, "all_versions");
    opt.include_archived = TrueParam(req, "include_archived");
    opt.name = req.Query("name");
    ASSIGN_OR_RETURN(auto list, ctx.assets.List(Ws(req), kind, opt));
    return ListReply(list);
  }());
}

http::Response GetAsset(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto kind, KindOf(req));
    // {name} may be name, name:version or name@latest.
    ASSIGN_OR_RETURN(auto a, ctx.assets.Get(Ws(req), kind, req.path_params.at("name")));
    return ToJson(a);
  }());
}

http::Response ListAssetVersions(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto kind, KindOf(req));
    assets::AssetListOptions opt;
    opt.all_versions = true;
    opt.include_archived = TrueParam(req, "include_archived");
    opt.name = req.path_params.at("name");
    ASSIGN_OR_RETURN(auto list, ctx.assets.List(Ws(req), kind, opt));
    if (list.empty() && !opt.include_archived) {
      opt.include_archived = true;
      ASSIGN_OR_RETURN(auto all, ctx.assets.List(Ws(req), kind, opt));
      if (all.empty()) {
        return NotFound(std::string(assets::KindName(kind)) + " '" + *opt.name +
                        "' does not exist in this workspace.");
      }
    }
    return ListReply(list);
  }());
}

http::Response GetAssetVersion(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto kind, KindOf(req));
    ASSIGN_OR_RETURN(
        auto a, ctx.assets.Get(Ws(req), kind,
                               req.path_params.at("name") + ":" + req.path_params.at("version")));
    return ToJson(a);
  }());
}

http::Response UpdateAsset(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto kind, KindOf(req));
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    assets::AssetUpdate u;
    ASSIGN_OR_RETURN(u.description, d.OptionalString("description"));
    const json& tags = d.Json("tags");
    if (!tags.is_null()) {
      if (!tags.is_object()) return InvalidArgument("tags must be an object of strings");
      std::map<std::string, std::string> m;
      for (auto it = tags.begin(); it != tags.end(); ++it) {
        ASSIGN_OR_RETURN(m[it.key()], JsonToString(*it, "tags." + it.key()));
      }
      u.tags = std::move(m);
    }
    ASSIGN_OR_RETURN(auto a, ctx.assets.Update(Ws(req), kind, req.path_params.at("name"),
                                               req.path_params.at("version"), u));
    return ToJson(a);
  }());
}

http::Response ArchiveAsset(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto kind, KindOf(req));
    ASSIGN_OR_RETURN(auto a, ctx.assets.SetArchived(Ws(req), kind, req.path_params.at("name"),
                                                    req.path_params.at("version"), true));
    return ToJson(a);
  }());
}

http::Response RestoreAsset(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto kind, KindOf(req));
    ASSIGN_OR_RETURN(auto a, ctx.assets.SetArchived(Ws(req), kind, req.path_params.at("name"),
                                                    req.path_params.at("version"), false));
    return ToJson(a);
  }());
}

http::Response DeleteAsset(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(auto kind, KindOf(req));
    return ctx.assets.Delete(Ws(req), kind, req.path_params.at("name"),
                             req.path_params.at("version"));
  }());
}

http::Response AssetLineage(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto kind, KindOf(req));
    ASSIGN_OR_RETURN(auto l, ctx.assets.Lineage(Ws(req), kind, req.path_params.at("name"),
                                                req.path_params.at("version")));
    json used = json::array();
    for (const auto& r : l.used_by_runs) used.push_back(ToJson(r));
    return json{{"produced_by_run", l.produced_by_run ? ToJson(*l.produced_by_run) : json()},
                {"used_by_runs", used}};
  }());
}

http::Response RunLineage(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    const std::string& run_id = req.path_params.at("run_id");
    ASSIGN_OR_RETURN(auto run, ctx.tracking.GetRun(Ws(req), run_id));
    ASSIGN_OR_RETURN(auto inputs, ctx.assets.RunInputs(Ws(req), run_id));
    ASSIGN_OR_RETURN(auto outputs, ctx.assets.RunOutputs(Ws(req), run_id));
    json in = json::array();
    for (const auto& a : inputs) in.push_back(ToJson(a));
    json out = json::array();
    for (const auto& a : outputs) out.push_back(ToJson(a));
    return json{{"run_id", run.info.run_id},
                {"experiment_id", run.info.experiment_id},
                {"inputs", in},
                {"outputs", out}};
  }());
}

http::Response BuildEnvironment(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string ref, d.RequiredString("reference"));
    ASSIGN_OR_RETURN(auto b, ctx.assets.BuildEnvironment(Ws(req), ref));
    return json{{"hash", b.hash},
                {"host_interpreter", b.host_interpreter},
                {"python", b.python},
                {"note", b.note},
                {"log", b.hash.empty() ? ""
                                       : "/api/v1/workspaces/" + Ws(req) + "/environment-builds/" +
                                             b.hash + "/log"}};
  }());
}

http::Response EnvironmentBuildLog(ApiContext& ctx, http::Request& req) {
  auto path = ctx.assets.EnvironmentBuildLog(req.path_params.at("hash"));
  if (!path.ok()) return http::ErrorResponse(path.status());
  std::error_code ec;
  http::Response r;
  r.content_type = "text/plain; charset=utf-8";
  r.file_path = *path;
  r.file_size = static_cast<std::int64_t>(std::filesystem::file_size(*path, ec));
  return r;
}

http::Response AddRunInput(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    const std::string& run_id = req.path_params.at("run_id");
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string kind_name, d.RequiredString("kind"));
    ASSIGN_OR_RETURN(std::string ref, d.RequiredString("reference"));
    auto kind = assets::ParseAssetKind(kind_name);
    if (!kind) {
      return InvalidArgument("kind must be one of model, data, environment, component");
    }
    ASSIGN_OR_RETURN(auto run, ctx.tracking.GetRun(Ws(req), run_id));
    ASSIGN_OR_RETURN(auto a, ctx.assets.Resolve(Ws(req), *kind, ref));
    RETURN_IF_ERROR(ctx.assets.RecordRunInput(Ws(req), run.info.run_id, a));
    return ToJson(a);
  }());
}

}  // namespace mlws::api
