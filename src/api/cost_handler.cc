// Cost over time (quotas::QuotaService, quotas/cost_series.h):
// /api/v1/workspaces/{ws}/cost/series and the server-wide /api/v1/cost/series.
#include <cmath>

#include "api/handlers.h"
#include "mlws/quotas/quota_service.h"

namespace mlws::api {

using nlohmann::json;

namespace {

double Round(double v, double unit) { return static_cast<double>(std::llround(v / unit)) * unit; }

StatusOr<quotas::CostQuery> QueryOf(const http::Request& req) {
  auto p = [&](const char* k) { return req.Query(k).value_or(""); };
  return quotas::ParseCostQuery(p("by"), p("per"), p("from"), p("to"));
}

json SeriesJson(const quotas::CostSeries& s, const quotas::CostQuery& q) {
  json series = json::array();
  for (const auto& line : s.series) {
    json ns = json::array(), cost = json::array();
    for (double v : line.node_seconds) ns.push_back(Round(v, 0.001));
    for (double v : line.cost) cost.push_back(Round(v, 1e-6));
    series.push_back({{"key", line.key},
                      {"name", line.name},
                      {"node_seconds", std::move(ns)},
                      {"cost", std::move(cost)},
                      {"total_node_seconds", Round(line.total_node_seconds, 0.001)},
                      {"total_cost", Round(line.total_cost, 1e-6)}});
  }
  return {{"currency", "USD"},
          {"by", quotas::CostByName(q.by)},
          {"per", quotas::CostPerName(q.per)},
          {"from", s.from_ms},
          {"to", s.to_ms},
          {"periods", s.periods},
          {"period_starts", s.period_starts},
          {"series", std::move(series)},
          {"total_node_seconds", Round(s.total_node_seconds, 0.001)},
          {"total_cost", Round(s.total_cost, 1e-6)}};
}

}  // namespace

http::Response GetCostSeries(ApiContext& ctx, http::Request& req) {
  if (ctx.quotas == nullptr) return Reply(Status(ErrorCode::kTemporarilyUnavailable, "no cost"));
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto q, QueryOf(req));
    ASSIGN_OR_RETURN(auto s, ctx.quotas->Series(req.path_params.at("ws"), q));
    return SeriesJson(s, q);
  }());
}

http::Response GetServerCostSeries(ApiContext& ctx, http::Request& req) {
  if (ctx.quotas == nullptr) return Reply(Status(ErrorCode::kTemporarilyUnavailable, "no cost"));
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto q, QueryOf(req));
    ASSIGN_OR_RETURN(auto s, ctx.quotas->ServerSeries(q));
    return SeriesJson(s, q);
  }());
}

}  // namespace mlws::api
