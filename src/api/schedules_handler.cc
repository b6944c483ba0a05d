// /api/v1/workspaces/{ws}/schedules (schedules::ScheduleService).
#include "api/handlers.h"
#include "mlws/schedules/schedule_service.h"

namespace mlws::api {

using nlohmann::json;

namespace {

const std::string& Ws(http::Request& req) { return req.path_params["ws"]; }
const std::string& Name(http::Request& req) { return req.path_params["name"]; }

StatusOr<schedules::ScheduleService*> Service(ApiContext& ctx) {
  if (ctx.schedules == nullptr) {
    return Status(ErrorCode::kTemporarilyUnavailable, "Schedules are not available here.");
  }
  return ctx.schedules;
}

StatusOr<json> Body(const http::Request& req) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return BadRequest("The request body is not valid JSON.");
  if (!body.is_object()) return BadRequest("The request body must be a JSON object.");
  return body;
}

json TimeOrNull(std::int64_t ms) { return ms == 0 ? json() : json(schedules::FormatUtc(ms)); }

json ScheduleJson(const schedules::Schedule& s) {
  const auto& r = s.record;
  json out = s.spec;
  out["name"] = r.name;
  out["is_enabled"] = r.enabled;
  out["provisioning_state"] = "Succeeded";
  out["owner"] = r.owner;
  out["created_at"] = r.created_at;
  out["updated_at"] = r.updated_at;
  out["next_fire_time"] = r.enabled ? TimeOrNull(r.next_fire_ms) : json();
  out["last_fire_time"] = TimeOrNull(r.last_fire_ms);
  json upcoming = json::array();
  for (auto t : s.upcoming) upcoming.push_back(schedules::FormatUtc(t));
  out["next_fire_times"] = std::move(upcoming);
  json jobs = json::array();
  for (const auto& f : s.fires) {
    jobs.push_back({{"fire_time", schedules::FormatUtc(f.fire_ms)},
                    {"job_name", f.job_name.empty() ? json() : json(f.job_name)},
                    {"error", f.error.empty() ? json() : json(f.error)}});
  }
  out["jobs"] = std::move(jobs);
  return out;
}

http::Response Enable(ApiContext& ctx, http::Request& req, bool enabled) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto* svc, Service(ctx));
    ASSIGN_OR_RETURN(auto s, svc->SetEnabled(Ws(req), Name(req), enabled));
    return ScheduleJson(s);
  }());
}

}  // namespace

http::Response CreateSchedule(ApiContext& ctx, http::Request& req) {
  http::Response r = Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto* svc, Service(ctx));
    ASSIGN_OR_RETURN(json body, Body(req));
    ASSIGN_OR_RETURN(auto s, svc->Create(Ws(req), body, PrincipalOf(ctx, req)));
    return ScheduleJson(s);
  }());
  if (r.status == 200) r.status = 201;
  return r;
}

http::Response ListSchedules(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto* svc, Service(ctx));
    ASSIGN_OR_RETURN(auto list, svc->List(Ws(req)));
    json arr = json::array();
    for (const auto& s : list) arr.push_back(ScheduleJson(s));
    return json{{"value", std::move(arr)}};
  }());
}

http::Response GetSchedule(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto* svc, Service(ctx));
    ASSIGN_OR_RETURN(auto s, svc->Get(Ws(req), Name(req)));
    return ScheduleJson(s);
  }());
}

http::Response UpdateSchedule(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto* svc, Service(ctx));
    ASSIGN_OR_RETURN(json body, Body(req));
    ASSIGN_OR_RETURN(auto s, svc->Update(Ws(req), Name(req), body, PrincipalOf(ctx, req)));
    return ScheduleJson(s);
  }());
}

http::Response EnableSchedule(ApiContext& ctx, http::Request& req) {
  return Enable(ctx, req, true);
}
http::Response DisableSchedule(ApiContext& ctx, http::Request& req) {
  return Enable(ctx, req, false);
}

http::Response DeleteSchedule(ApiContext& ctx, http::Request& req) {
  return Reply([&]() -> Status {
    ASSIGN_OR_RETURN(auto* svc, Service(ctx));
    return svc->Delete(Ws(req), Name(req));
  }());
}

}  // namespace mlws::api
