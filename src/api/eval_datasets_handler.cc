// MLflow 3 GenAI evaluation datasets: /api/3.0/mlflow/datasets...
#include "api/mlflow3_handlers.h"
#include "api/mlflow_json.h"

namespace mlws::api {

using nlohmann::json;

namespace {

const std::string& DatasetIdParam(http::Request& req) { return req.path_params["dataset_id"]; }

}  // namespace

http::Response CreateEvalDataset(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string name, d.RequiredString("name"));
    ASSIGN_OR_RETURN(auto exps, d.StringList("experiment_ids"));
    ASSIGN_OR_RETURN(auto tags, d.OptionalString("tags"));
    ASSIGN_OR_RETURN(auto by, d.OptionalString("created_by"));
    ASSIGN_OR_RETURN(json ds, ctx.eval_datasets.Create(req.workspace, name, exps, tags.value_or(""),
                                                       by.value_or("")));
    return json{{"dataset", std::move(ds)}};
  }());
}

http::Response GetEvalDataset(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(json ds, ctx.eval_datasets.Get(req.workspace, DatasetIdParam(req)));
    return json{{"dataset", std::move(ds)}};
  }());
}

http::Response DeleteEvalDataset(ApiContext& ctx, http::Request& req) {
  return Reply(ctx.eval_datasets.Delete(req.workspace, DatasetIdParam(req)));
}

http::Response SearchEvalDatasets(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(auto exps, d.StringList("experiment_ids"));
    ASSIGN_OR_RETURN(auto filter, d.OptionalString("filter_string"));
    ASSIGN_OR_RETURN(auto max, d.OptionalInt("max_results"));
    ASSIGN_OR_RETURN(auto token, d.OptionalString("page_token"));
    ASSIGN_OR_RETURN(auto order, d.StringList("order_by"));
    return ctx.eval_datasets.Search(req.workspace, exps, filter.value_or(""), order,
                                    max.value_or(1000), token.value_or(""));
  }());
}

http::Response UpsertEvalDatasetRecords(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    if (req.body.size() > tracking::kMaxEvalDatasetBytes) {
      return Status(ErrorCode::kPayloadTooLarge, "Record batches must be at most 16 MiB");
    }
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(std::string records, d.RequiredString("records"));
    return ctx.eval_datasets.Upsert(req.workspace, DatasetIdParam(req), records);
  }());
}

http::Response GetEvalDatasetRecords(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    ASSIGN_OR_RETURN(auto max, d.OptionalInt("max_results"));
    ASSIGN_OR_RETURN(auto token, d.OptionalString("page_token"));
    return ctx.eval_datasets.Records(req.workspace, DatasetIdParam(req), max.value_or(1000),
                                     token.value_or(""));
  }());
}

http::Response GetEvalDatasetExperimentIds(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto ids, ctx.eval_datasets.ExperimentIds(req.workspace, DatasetIdParam(req)));
    json out = json::object();
    if (!ids.empty()) out["experiment_ids"] = ids;
    return out;
  }());
}

}  // namespace mlws::api
