#include "api/handlers.h"

namespace mlws::api {

using nlohmann::json;

http::Response ListAudit(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(RequestDecoder d, RequestDecoder::From(req));
    auth::AuditQuery q;
    ASSIGN_OR_RETURN(q.user_name, d.OptionalString("user"));
    ASSIGN_OR_RETURN(q.since, d.OptionalInt("since"));
    ASSIGN_OR_RETURN(q.denied_only, d.OptionalBool("denied_only"));
    ASSIGN_OR_RETURN(auto limit, d.OptionalInt("max_results"));
    q.limit = limit.value_or(100);
    if (q.limit < 1 || q.limit > 10000) return InvalidArgument("max_results must be 1 to 10000");
    ASSIGN_OR_RETURN(auto entries, ctx.auth.ListAudit(q));
    json arr = json::array();
    for (const auto& e : entries) {
      arr.push_back({{"id", e.id},
                     {"time", e.time},
                     {"user", e.user_name},
                     {"remote_addr", e.remote_addr},
                     {"method", e.method},
                     {"path", e.path},
                     {"workspace", e.workspace},
                     {"action", e.action},
                     {"status", e.status}});
    }
    return json{{"entries", std::move(arr)}};
  }());
}

}  // namespace mlws::api
