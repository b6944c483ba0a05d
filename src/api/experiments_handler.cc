#include "api/handlers.h"
#include "api/mlflow_json.h"
#include "mlws/api/request_decoder.h"

namespace mlws::api {

using nlohmann::json;

StatusOr<tracking::ViewType> ParseViewTypeParam(const RequestDecoder& d, const std::string& name) {
  // The enum's name, or its number (valid protobuf-JSON too; query strings carry it as text).
  std::string v;
  if (d.Json(name).is_number_integer()) {
    ASSIGN_OR_RETURN(auto i, d.OptionalInt(name));
    v = std::to_string(*i);
  } else {
    ASSIGN_OR_RETURN(auto text, d.OptionalString(name));
    if (!text) return tracking::ViewType::kActiveOnly;
    v = std::move(*text);
  }
  auto parsed = tracking::ParseViewType(v);
  if (!parsed) {
    return InvalidArgument("Invalid value '" + v.substr(0, 100) + "' for parameter '" + name +
                           "': expected ACTIVE_ONLY, DELETED_ONLY or ALL");
  }
  return *parsed;
}

http::Response CreateExperiment(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(auto location, d.OptionalString("artifact_location"));
    ASSIGN_OR_RETURN(auto tags, ParseKeyValues(d.Json("tags"), "tags", false));
    ASSIGN_OR_RETURN(
        auto e, ctx.tracking.CreateExperiment(req.workspace, name, location.value_or(""), tags));
    return json{{"experiment_id", e.experiment_id}};
  }());
}

http::Response GetExperiment(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, d.RequiredString("experiment_id"));
    ASSIGN_OR_RETURN(auto e, ctx.tracking.GetExperiment(req.workspace, id));
    return json{{"experiment", ToJson(e)}};
  }());
}

http::Response GetExperimentByName(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("experiment_name"));
    ASSIGN_OR_RETURN(auto e, ctx.tracking.GetExperimentByName(req.workspace, name));
    return json{{"experiment", ToJson(e)}};
  }());
}

http::Response SearchExperiments(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    tracking::SearchExperimentsRequest s;
    ASSIGN_OR_RETURN(auto max, d.OptionalInt("max_results"));
    s.max_results = max.value_or(1000);
    ASSIGN_OR_RETURN(auto token, d.OptionalString("page_token"));
    s.page_token = token.value_or("");
    ASSIGN_OR_RETURN(auto filter, d.OptionalString("filter"));
    s.filter = filter.value_or("");
    ASSIGN_OR_RETURN(s.order_by, d.StringList("order_by"));
    ASSIGN_OR_RETURN(s.view, ParseViewTypeParam(d, "view_type"));
    ASSIGN_OR_RETURN(auto page, ctx.tracking.SearchExperiments(req.workspace, s));
    json out = json::object();
    json arr = json::array();
    for (const auto& e : page.experiments) arr.push_back(ToJson(e));
    if (!arr.empty()) out["experiments"] = std::move(arr);
    if (!page.next_page_token.empty()) out["next_page_token"] = page.next_page_token;
    return out;
  }());
}

http::Response UpdateExperiment(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, d.RequiredString("experiment_id"));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("new_name"));
    return ctx.tracking.RenameExperiment(req.workspace, id, name);
  }());
}

http::Response DeleteExperiment(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, d.RequiredString("experiment_id"));
    return ctx.tracking.DeleteExperiment(req.workspace, id);
  }());
}

http::Response RestoreExperiment(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, d.RequiredString("experiment_id"));
    return ctx.tracking.RestoreExperiment(req.workspace, id);
  }());
}

http::Response SetExperimentTag(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string id, d.RequiredString("experiment_id"));
    ASSIGN_OR_RETURN(std::string key, d.RequiredString("key"));
    ASSIGN_OR_RETURN(auto value, d.OptionalString("value"));
    return ctx.tracking.SetExperimentTag(req.workspace, id, {key, value.value_or("")});
  }());
}

http::Response SearchDatasets(ApiContext&, http::Request&) {
  // The UI helper; datasets are returned with runs. Matches MLflow's empty answer shape.
  return http::JsonResponse("{}");
}

}  // namespace mlws::api
