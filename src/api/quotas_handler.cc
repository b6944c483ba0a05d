// /api/v1/workspaces/{ws}/quota (quotas::QuotaService): show and set a workspace's quota.
#include <cmath>

#include "api/handlers.h"
#include "mlws/quotas/quota_service.h"

namespace mlws::api {

using nlohmann::json;

namespace {

const std::string& Ws(const http::Request& req) { return req.path_params.at("ws"); }

double Round(double v, double unit) { return static_cast<double>(std::llround(v / unit)) * unit; }

json OrNull(const std::optional<double>& v) { return v ? json(*v) : json(); }

json QuotaJson(const quotas::QuotaReport& r) {
  json computes = json::array();
  for (const auto& c : r.computes) {
    computes.push_back(
        {{"compute", c.compute}, {"max_nodes", c.max_nodes}, {"nodes_in_use", c.nodes_in_use}});
  }
  const quotas::Quota& q = r.quota;
  return {{"workspace", r.workspace},
          {"on_exceed", q.refuse ? "refuse" : "wait"},
          {"computes", std::move(computes)},
          {"budget",
           {{"period", "month"},
            {"month", r.month},
            {"max_cost", OrNull(q.max_cost)},
            {"max_node_hours", OrNull(q.max_node_hours)},
            {"spent_cost", Round(r.spent_cost, 1e-6)},
            {"spent_node_hours", Round(r.spent_node_hours, 1e-6)}}},
          {"updated_at", q.updated_at == 0 ? json() : json(q.updated_at)},
          {"updated_by", q.updated_by.empty() ? json() : json(q.updated_by)}};
}

}  // namespace

http::Response GetQuota(ApiContext& ctx, http::Request& req) {
  if (ctx.quotas == nullptr) return Reply(Status(ErrorCode::kTemporarilyUnavailable, "no quotas"));
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto report, ctx.quotas->Get(Ws(req)));
    return QuotaJson(report);
  }());
}

http::Response SetQuota(ApiContext& ctx, http::Request& req) {
  if (ctx.quotas == nullptr) return Reply(Status(ErrorCode::kTemporarilyUnavailable, "no quotas"));
  return Reply([&]() -> StatusOr<json> {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return BadRequest("The request body is not valid JSON.");
    ASSIGN_OR_RETURN(auto report, ctx.quotas->Set(Ws(req), body, PrincipalOf(ctx, req).name));
    return QuotaJson(report);
  }());
}

}  // namespace mlws::api
