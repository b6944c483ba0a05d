// MLflow 3 logged models: /api/2.0/mlflow/logged-models... and runs/outputs.
#include "api/mlflow3_handlers.h"
#include "api/mlflow_json.h"

namespace mlws::api {

using nlohmann::json;

namespace {

StatusOr<std::vector<tracking::KeyValue>> KeyValuesParam(const RequestDecoder& d,
                                                         const char* field) {
  return ParseKeyValues(d.Json(field), field, false);
}

const std::string& ModelIdParam(http::Request& req) { return req.path_params["model_id"]; }

}  // namespace

http::Response CreateLoggedModel(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    tracking::CreateLoggedModelRequest r;
    ASSIGN_OR_RETURN(r.experiment_id, d.RequiredString("experiment_id"));
    ASSIGN_OR_RETURN(auto name, d.OptionalString("name"));
    ASSIGN_OR_RETURN(auto type, d.OptionalString("model_type"));
    ASSIGN_OR_RETURN(auto run, d.OptionalString("source_run_id"));
    r.name = name.value_or("");
    r.model_type = type.value_or("");
    r.source_run_id = run.value_or("");
    ASSIGN_OR_RETURN(r.params, KeyValuesParam(d, "params"));
    ASSIGN_OR_RETURN(r.tags, KeyValuesParam(d, "tags"));
    ASSIGN_OR_RETURN(json model, ctx.logged_models.Create(req.workspace, r));
    return json{{"model", std::move(model)}};
  }());
}

http::Response GetLoggedModel(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    std::string allow = req.Query("allow_deleted").value_or("false");
    ASSIGN_OR_RETURN(json model,
                     ctx.logged_models.Get(req.workspace, ModelIdParam(req), allow == "true"));
    return json{{"model", std::move(model)}};
  }());
}

http::Response FinalizeLoggedModel(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    const json& st = d.Json("status");
    std::string status;
    if (st.is_string()) {
      status = st.get<std::string>();
    } else if (st.is_number_integer()) {
      status = std::to_string(st.get<std::int64_t>());
    } else {
      return MissingParameter("status");
    }
    ASSIGN_OR_RETURN(json model,
                     ctx.logged_models.Finalize(req.workspace, ModelIdParam(req), status));
    return json{{"model", std::move(model)}};
  }());
}

http::Response DeleteLoggedModel(ApiContext& ctx, http::Request& req) {
  return Reply(ctx.logged_models.Delete(req.workspace, ModelIdParam(req)));
}

http::Response SetLoggedModelTags(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(auto tags, KeyValuesParam(d, "tags"));
    return ctx.logged_models.SetTags(req.workspace, ModelIdParam(req), tags);
  }());
}

http::Response DeleteLoggedModelTag(ApiContext& ctx, http::Request& req) {
  return Reply(
      ctx.logged_models.DeleteTag(req.workspace, ModelIdParam(req), req.path_params["tag_key"]));
}

http::Response LogLoggedModelParams(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(auto params, KeyValuesParam(d, "params"));
    return ctx.logged_models.LogParams(req.workspace, ModelIdParam(req), params);
  }());
}

http::Response SearchLoggedModels(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    tracking::SearchLoggedModelsRequest s;
    ASSIGN_OR_RETURN(s.experiment_ids, d.StringList("experiment_ids"));
    ASSIGN_OR_RETURN(auto filter, d.OptionalString("filter"));
    s.filter = filter.value_or("");
    ASSIGN_OR_RETURN(auto max, d.OptionalInt("max_results"));
    if (max) s.max_results = *max;
    ASSIGN_OR_RETURN(auto token, d.OptionalString("page_token"));
    s.page_token = token.value_or("");
    auto str = [](const json& o, const char* f) -> StatusOr<std::optional<std::string>> {
      auto it = o.find(f);
      if (it == o.end() || it->is_null()) return std::optional<std::string>();
      ASSIGN_OR_RETURN(std::string v, JsonToString(*it, f));
      return std::optional<std::string>(std::move(v));
    };
    const json& datasets = d.Json("datasets");
    if (!datasets.is_null() && !datasets.is_array()) {
      return InvalidArgument("Invalid value for parameter 'datasets': expected a list");
    }
    for (const auto& ds : datasets.is_array() ? datasets : json::array()) {
      if (!ds.is_object()) return InvalidArgument("Each dataset must be an object");
      tracking::LoggedModelDataset x;
      ASSIGN_OR_RETURN(auto name, str(ds, "dataset_name"));
      if (!name) return MissingParameter("datasets.dataset_name");
      x.name = *name;
      ASSIGN_OR_RETURN(x.digest, str(ds, "dataset_digest"));
      s.datasets.push_back(std::move(x));
    }
    const json& order = d.Json("order_by");
    if (!order.is_null() && !order.is_array()) {
      return InvalidArgument("Invalid value for parameter 'order_by': expected a list");
    }
    for (const auto& o : order.is_array() ? order : json::array()) {
      if (!o.is_object()) return InvalidArgument("Each order_by item must be an object");
      tracking::LoggedModelOrder x;
      ASSIGN_OR_RETURN(auto field, str(o, "field_name"));
      if (!field) return MissingParameter("order_by.field_name");
      x.field_name = *field;
      auto asc = o.find("ascending");
      if (asc != o.end() && asc->is_boolean()) x.ascending = asc->get<bool>();
      ASSIGN_OR_RETURN(x.dataset_name, str(o, "dataset_name"));
      ASSIGN_OR_RETURN(x.dataset_digest, str(o, "dataset_digest"));
      s.order_by.push_back(std::move(x));
    }
    return ctx.logged_models.Search(req.workspace, s);
  }());
}

http::Response LogOutputs(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string run_id, d.RequiredString("run_id"));
    const json& models = d.Json("models");
    if (!models.is_null() && !models.is_array()) {
      return InvalidArgument("Invalid value for parameter 'models': expected a list");
    }
    std::vector<store::RunModelLink> links;
    for (const auto& m : models.is_array() ? models : json::array()) {
      if (!m.is_object() || !m.contains("model_id")) return MissingParameter("models.model_id");
      store::RunModelLink l;
      ASSIGN_OR_RETURN(l.model_id, JsonToString(m["model_id"], "model_id"));
      if (m.contains("step")) {
        ASSIGN_OR_RETURN(l.step, JsonToInt64(m["step"], "step"));
      }
      links.push_back(std::move(l));
    }
    RETURN_IF_ERROR(ctx.tracking.GetRun(req.workspace, run_id).status());
    return ctx.logged_models.LinkRun(req.workspace, run_id, links);
  }());
}

Status CheckMetricModels(ApiContext& ctx, const http::Request& req,
                         const std::vector<tracking::ModelMetric>& metrics) {
  std::vector<std::string> ids;
  for (const auto& m : metrics) ids.push_back(m.model_id);
  return ctx.logged_models.CheckModels(req.workspace, ids);
}

Status LinkMetricModels(ApiContext& ctx, const http::Request& req,
                        const std::vector<tracking::ModelMetric>& metrics) {
  return ctx.logged_models.LinkMetrics(req.workspace, metrics);
}

Status AddRunModelIo(ApiContext& ctx, const http::Request& req, const std::string& run_id,
                     json& run) {
  ASSIGN_OR_RETURN(json io, ctx.logged_models.RunModelIo(req.workspace, run_id));
  for (const char* part : {"inputs", "outputs"}) {
    if (!io.contains(part)) continue;
    for (auto& [k, v] : io[part].items()) run[part][k] = v;
  }
  return Status::Ok();
}

Status ResolveLoggedModelSource(ApiContext& ctx, const http::Request& req,
                                const std::string& source, const std::string& model_id,
                                std::string& run_id) {
  std::string id = model_id;
  constexpr std::string_view kModels = "models:/";
  if (id.empty() && source.rfind(kModels, 0) == 0) {
    std::string rest = source.substr(kModels.size());
    if (rest.rfind("m-", 0) == 0 && rest.find('/') == std::string::npos) id = rest;
  }
  if (id.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(json model, ctx.logged_models.Get(req.workspace, id));
  if (run_id.empty()) run_id = model["info"].value("source_run_id", "");
  return Status::Ok();
}

}  // namespace mlws::api
