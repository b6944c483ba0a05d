#include "api/handlers.h"
#include "api/mlflow3_handlers.h"
#include "api/mlflow_json.h"
#include "api/run_json_writer.h"

namespace mlws::api {

using nlohmann::json;

StatusOr<std::string> RunIdParam(const RequestDecoder& d) {
  ASSIGN_OR_RETURN(auto id, d.OptionalString("run_id"));
  if (!id || id->empty()) {
    ASSIGN_OR_RETURN(id, d.OptionalString("run_uuid"));
  }
  if (!id || id->empty()) return MissingParameter("run_id");
  return *id;
}

http::Response CreateRun(ApiContext& ctx, http::Request& req) {
  StatusOr<tracking::Run> run = [&]() -> StatusOr<tracking::Run> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    tracking::CreateRunRequest r;
    ASSIGN_OR_RETURN(auto exp, d.OptionalString("experiment_id"));
    r.experiment_id = exp.value_or("0");
    ASSIGN_OR_RETURN(auto user, d.OptionalString("user_id"));
    r.user_id = user.value_or("");
    ASSIGN_OR_RETURN(auto name, d.OptionalString("run_name"));
    r.run_name = name.value_or("");
    ASSIGN_OR_RETURN(r.start_time, d.OptionalInt("start_time"));
    ASSIGN_OR_RETURN(r.tags, ParseKeyValues(d.Json("tags"), "tags", false));
    return ctx.tracking.CreateRun(req.workspace, std::move(r));
  }();
  if (!run.ok()) return http::ErrorResponse(run.status());
  std::string out = "{\"run\":";
  AppendRunJson(out, *run);
  out += '}';
  return http::JsonResponse(std::move(out));
}

http::Response GetRun(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, RunIdParam(d));
    ASSIGN_OR_RETURN(auto run, ctx.tracking.GetRun(req.workspace, id));
    json out = ToJson(run);
    RETURN_IF_ERROR(AddRunModelIo(ctx, req, id, out));
    return json{{"run", std::move(out)}};
  }());
}

http::Response UpdateRun(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, RunIdParam(d));
    store::RunUpdate u;
    ASSIGN_OR_RETURN(auto status, d.OptionalString("status"));
    if (status) {
      u.status = tracking::ParseRunStatus(*status);
      if (!u.status) {
        return InvalidArgument("Invalid value '" + *status + "' for parameter 'status'");
      }
    }
    ASSIGN_OR_RETURN(u.end_time, d.OptionalInt("end_time"));
    ASSIGN_OR_RETURN(u.run_name, d.OptionalString("run_name"));
    if (u.run_name && u.run_name->empty()) u.run_name.reset();
    ASSIGN_OR_RETURN(auto info, ctx.tracking.UpdateRun(req.workspace, id, u));
    return json{{"run_info", ToJson(info)}};
  }());
}

http::Response DeleteRun(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, RunIdParam(d));
    return ctx.tracking.DeleteRun(req.workspace, id);
  }());
}

http::Response RestoreRun(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, RunIdParam(d));
    return ctx.tracking.RestoreRun(req.workspace, id);
  }());
}

http::Response SetTag(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, RunIdParam(d));
    ASSIGN_OR_RETURN(std::string key, d.RequiredString("key"));
    ASSIGN_OR_RETURN(auto value, d.OptionalString("value"));
    return ctx.tracking.LogBatch(req.workspace, id, {}, {}, {{key, value.value_or("")}});
  }());
}

http::Response DeleteTag(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, RunIdParam(d));
    ASSIGN_OR_RETURN(std::string key, d.RequiredString("key"));
    return ctx.tracking.DeleteTag(req.workspace, id, key);
  }());
}

http::Response LogParam(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, RunIdParam(d));
    ASSIGN_OR_RETURN(std::string key, d.RequiredString("key"));
    ASSIGN_OR_RETURN(auto value, d.OptionalString("value"));
    if (!value) {
      // Numbers sent unquoted are accepted as their text.
      const json& raw = d.Json("value");
      if (raw.is_number()) value = raw.dump();
    }
    return ctx.tracking.LogBatch(req.workspace, id, {}, {{key, value.value_or("")}}, {});
  }());
}

http::Response LogInputs(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, RunIdParam(d));
    const json& arr = d.Json("datasets");
    std::vector<tracking::DatasetInput> inputs;
    if (!arr.is_null() && !arr.is_array()) {
      return InvalidArgument("Invalid value for parameter 'datasets': expected a list");
    }
    if (arr.is_array()) {
      for (const auto& item : arr) {
        if (!item.is_object()) return InvalidArgument("Each dataset input must be an object");
        tracking::DatasetInput in;
        ASSIGN_OR_RETURN(in.tags, ParseKeyValues(item.value("tags", json()), "tags", false));
        auto ds = item.find("dataset");
        if (ds == item.end() || !ds->is_object()) return MissingParameter("dataset");
        auto str = [&](const char* f, std::string& out) -> Status {
          auto it = ds->find(f);
          if (it == ds->end() || it->is_null()) return Status::Ok();
          ASSIGN_OR_RETURN(out, JsonToString(*it, std::string("dataset.") + f));
          return Status::Ok();
        };
        RETURN_IF_ERROR(str("name", in.dataset.name));
        RETURN_IF_ERROR(str("digest", in.dataset.digest));
        RETURN_IF_ERROR(str("source_type", in.dataset.source_type));
        RETURN_IF_ERROR(str("source", in.dataset.source));
        RETURN_IF_ERROR(str("schema", in.dataset.schema));
        RETURN_IF_ERROR(str("profile", in.dataset.profile));
        inputs.push_back(std::move(in));
      }
    }
    // MLflow 3: models the run used ({"model_id": ...}), checked before anything is written.
    std::vector<store::RunModelLink> models;
    const json& model_arr = d.Json("models");
    if (!model_arr.is_null() && !model_arr.is_array()) {
      return InvalidArgument("Invalid value for parameter 'models': expected a list");
    }
    for (const auto& m : model_arr.is_array() ? model_arr : json::array()) {
      if (!m.is_object() || !m.contains("model_id")) return MissingParameter("models.model_id");
      store::RunModelLink l;
      l.output = false;
      ASSIGN_OR_RETURN(l.model_id, JsonToString(m["model_id"], "model_id"));
      models.push_back(std::move(l));
    }
    std::vector<std::string> ids;
    for (const auto& l : models) ids.push_back(l.model_id);
    RETURN_IF_ERROR(ctx.logged_models.CheckModels(req.workspace, ids));
    if (!inputs.empty() || models.empty()) {
      RETURN_IF_ERROR(ctx.tracking.LogInputs(req.workspace, id, inputs));
    }
    return ctx.logged_models.LinkRun(req.workspace, id, models);
  }());
}

http::Response LogModel(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, RunIdParam(d));
    ASSIGN_OR_RETURN(std::string model_json, d.RequiredString("model_json"));
    return ctx.tracking.LogModel(req.workspace, id, model_json);
  }());
}

http::Response SearchRuns(ApiContext& ctx, http::Request& req) {
  StatusOr<tracking::RunsPage> page = [&]() -> StatusOr<tracking::RunsPage> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    tracking::SearchRunsRequest s;
    ASSIGN_OR_RETURN(s.experiment_ids, d.StringList("experiment_ids"));
    ASSIGN_OR_RETURN(auto filter, d.OptionalString("filter"));
    s.filter = filter.value_or("");
    ASSIGN_OR_RETURN(s.view, ParseViewTypeParam(d, "run_view_type"));
    ASSIGN_OR_RETURN(auto max, d.OptionalInt("max_results"));
    s.max_results = max.value_or(1000);
    ASSIGN_OR_RETURN(s.order_by, d.StringList("order_by"));
    ASSIGN_OR_RETURN(auto token, d.OptionalString("page_token"));
    s.page_token = token.value_or("");
    return ctx.tracking.SearchRuns(req.workspace, s);
  }();
  if (!page.ok()) return http::ErrorResponse(page.status());
  // Keys in Dump's (sorted) order: next_page_token, runs.
  std::string out = "{";
  if (!page->next_page_token.empty()) {
    out += "\"next_page_token\":";
    AppendJsonString(out, page->next_page_token);
  }
  if (!page->runs.empty()) {
    out += page->next_page_token.empty() ? "\"runs\":[" : ",\"runs\":[";
    for (std::size_t i = 0; i < page->runs.size(); ++i) {
      if (i > 0) out += ',';
      AppendRunJson(out, page->runs[i]);
    }
    out += ']';
  }
  out += '}';
  return http::JsonResponse(std::move(out));
}

}  // namespace mlws::api
