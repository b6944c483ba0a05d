// Compute instances (docs/compute.md#compute-instances): their part of the computes API
// (create/show/list/delete go through the computes routes, start/stop/restart are here) and
// the lab proxy /workspaces/<ws>/computes/<name>/lab/... (HTTP, and WebSocket upgrades as a
// byte tunnel). The proxy signs in to the lab with the lab's own token, so the user sees no
// second login.
#include <algorithm>
#include <cctype>

#include "api/handlers.h"
#include "mlws/compute_instances/lab_client.h"

namespace mlws::api {

using nlohmann::json;

namespace {

constexpr const char* kLabCookie = "mlws_lab";

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Hop-by-hop headers and the caller's mlws credentials never reach the lab.
bool Forwarded(const std::string& name, bool websocket) {
  static const char* kDrop[] = {"host",
                                "authorization",
                                "connection",
                                "keep-alive",
                                "proxy-authorization",
                                "proxy-connection",
                                "te",
                                "trailer",
                                "transfer-encoding",
                                "content-length",
                                "upgrade"};
  for (const char* d : kDrop) {
    if (name == d) return websocket && (name == "connection" || name == "upgrade");
  }
  return true;
}

// The mlws sign-in cookie is the server's, not the lab's.
std::string WithoutOwnCookie(const std::string& cookie) {
  std::string out;
  size_t i = 0;
  while (i < cookie.size()) {
    size_t j = cookie.find(';', i);
    if (j == std::string::npos) j = cookie.size();
    std::string part = cookie.substr(i, j - i);
    size_t k = part.find_first_not_of(' ');
    part = k == std::string::npos ? "" : part.substr(k);
    if (!part.empty() && part.rfind(std::string(kLabCookie) + "=", 0) != 0) {
      out += (out.empty() ? "" : "; ") + part;
    }
    i = j + 1;
  }
  return out;
}

json InstanceJson(const compute_instances::InstanceView& v) {
  bool up = v.state == "Running" || v.state == "Starting" || v.state == "Stopping";
  // The fields every compute has (schema "Compute"), then the instance's own.
  json j = {{"name", v.name},
            {"type", "computeinstance"},
            {"min_instances", 0},
            {"max_instances", 1},
            {"idle_time_before_scale_down", v.idle_time_before_shutdown_s},
            {"nodes", up ? 1 : 0},
            {"busy", up ? 1 : 0},
            {"idle", 0},
            {"queued", 0},
            {"running_jobs", 0},
            {"node_seconds", 0},
            {"price_per_node_hour", 0},
            {"cost", 0},
            {"state", v.state},
            {"owner", v.owner},
            {"shared_with", v.shared_with},
            {"size", v.size},
            {"description", v.description},
            {"idle_time_before_shutdown_s", v.idle_time_before_shutdown_s},
            {"schedules", v.schedules},
            {"lab_path", v.lab_path},
            {"files", v.files_uri},
            {"last_stop_reason", v.last_stop_reason},
            {"created_at", v.created_at},
            {"started_at", v.started_at},
            {"last_activity", v.last_activity_ms}};
  if (!v.error.empty()) j["error"] = v.error;
  return j;
}

const std::string& Ws(http::Request& req) { return req.path_params["ws"]; }
const std::string& Name(http::Request& req) { return req.path_params["name"]; }

using Verb = StatusOr<compute_instances::InstanceView> (
    compute_instances::ComputeInstanceService::*)(const std::string&, const std::string&);

http::Response Act(ApiContext& ctx, http::Request& req, Verb verb) {
  if (ctx.compute_instances == nullptr) {
    return http::ErrorResponse(
        Status(ErrorCode::kTemporarilyUnavailable, "compute instances are not served"));
  }
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto v, (ctx.compute_instances->*verb)(Ws(req), Name(req)));
    return InstanceJson(v);
  }());
}

// The lab of instance `name` for `who` (owner, shared user or server Owner).
StatusOr<compute_instances::LabTarget> LabOf(ApiContext& ctx, const auth::Principal& who,
                                             const std::string& ws, const std::string& name) {
  if (ctx.compute_instances == nullptr) {
    return Status(ErrorCode::kTemporarilyUnavailable, "compute instances are not served");
  }
  bool admin = ctx.auth.Authorize(who, "server/roleAssignments/write", std::nullopt).ok();
  return ctx.compute_instances->Lab(ws, name, who, admin);
}

}  // namespace

std::optional<http::Response> ComputeInstanceCompute(ApiContext& ctx, http::Request& req,
                                                     const json* create_body) {
  auto* svc = ctx.compute_instances;
  if (svc == nullptr) return std::nullopt;
  if (create_body != nullptr) {
    if (!compute_instances::ComputeInstanceService::IsInstanceSpec(*create_body)) {
      return std::nullopt;
    }
    http::Response r = Reply([&]() -> StatusOr<json> {
      ASSIGN_OR_RETURN(auto v, svc->Create(Ws(req), *create_body, PrincipalOf(ctx, req)));
      return InstanceJson(v);
    }());
    if (r.status == 200) r.status = 201;
    if (r.status == 400 && r.body.find("RESOURCE_ALREADY_EXISTS") != std::string::npos) {
      r.status = 409;
    }
    return r;
  }
  if (!svc->Exists(Ws(req), Name(req))) return std::nullopt;
  if (req.method == "DELETE") return Reply(svc->Delete(Ws(req), Name(req)));
  return Reply([&]() -> StatusOr<json> {
    ASSIGN_OR_RETURN(auto v, svc->Get(Ws(req), Name(req)));
    return InstanceJson(v);
  }());
}

std::optional<json> ComputeInstanceJson(ApiContext& ctx, const std::string& ws,
                                        const std::string& name) {
  if (ctx.compute_instances == nullptr) return std::nullopt;
  auto v = ctx.compute_instances->Get(ws, name);
  if (!v.ok()) return std::nullopt;
  return InstanceJson(*v);
}

http::Response StartComputeInstance(ApiContext& ctx, http::Request& req) {
  return Act(ctx, req, &compute_instances::ComputeInstanceService::StartInstance);
}

http::Response StopComputeInstance(ApiContext& ctx, http::Request& req) {
  return Act(ctx, req, &compute_instances::ComputeInstanceService::StopInstance);
}

http::Response RestartComputeInstance(ApiContext& ctx, http::Request& req) {
  return Act(ctx, req, &compute_instances::ComputeInstanceService::Restart);
}

http::Response CreateLabSession(ApiContext& ctx, http::Request& req) {
  auth::Principal who = PrincipalOf(ctx, req);
  auto lab = LabOf(ctx, who, Ws(req), Name(req));
  if (!lab.ok()) return http::ErrorResponse(lab.status());
  if (who.open_mode) return http::JsonResponse("{}");  // nothing to sign in with
  auto t = ctx.auth.CreateToken(who, "lab session " + Name(req), 1);
  if (!t.ok()) return http::ErrorResponse(t.status());
  http::Response r = http::JsonResponse("{}");
  r.headers.emplace_back("Set-Cookie", std::string(kLabCookie) + "=" + t->secret + "; Path=" +
                                           lab->base_path + "; Max-Age=86400; HttpOnly; " +
                                           "SameSite=Strict" + (req.tls ? "; Secure" : ""));
  return r;
}

http::Response ProxyLab(ApiContext& ctx, http::Request& req) {
  auto lab = LabOf(ctx, PrincipalOf(ctx, req), req.workspace, Name(req));
  if (!lab.ok()) return http::ErrorResponse(lab.status());
  // The lab's base_url is this very path, so the target goes through as the client sent it.
  std::string target = req.raw_target;
  std::string base = lab->base_path;
  if (target.rfind(base.substr(0, base.size() - 1), 0) != 0) {
    return http::ErrorResponse(NotFound("Reach a compute instance's lab at " + base));
  }
  bool websocket = Lower(req.Header("upgrade").value_or("")) == "websocket";
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [k, v] : req.headers) {
    if (!Forwarded(k, websocket)) continue;
    if (k == "cookie") {
      std::string c = WithoutOwnCookie(v);
      if (!c.empty()) headers.emplace_back(k, c);
      continue;
    }
    headers.emplace_back(k, v);
  }
  headers.emplace_back("authorization", "token " + lab->token);
  bool status_poll = target.find("/api/status") != std::string::npos;
  if (!status_poll && lab->touch) lab->touch();
  if (websocket) {
    if (req.method != "GET") return http::ErrorResponse(BadRequest("WebSocket upgrades are GETs"));
    auto t = std::make_shared<http::Tunnel>();
    t->port = lab->port;
    t->head = "GET " + target + " HTTP/1.1\r\n";
    for (const auto& [k, v] : headers) t->head += k + ": " + v + "\r\n";
    t->head += "host: 127.0.0.1:" + std::to_string(lab->port) + "\r\n\r\n";
    auto touch = lab->touch;
    t->on_traffic = [touch](std::uint64_t) {
      if (touch) touch();
    };
    http::Response r;
    r.tunnel = std::move(t);
    return r;
  }
  auto reply = compute_instances::LabCall(lab->port, req.method, target, headers, req.body, 120000);
  if (!reply.ok()) return http::ErrorResponse(reply.status());
  http::Response r;
  r.status = reply->status;
  r.content_type = "application/octet-stream";
  for (auto& [k, v] : reply->headers) {
    std::string name = Lower(k);
    if (name == "content-type") {
      r.content_type = v;
    } else if (name != "connection" && name != "transfer-encoding" && name != "content-length" &&
               name != "keep-alive") {
      r.headers.emplace_back(k, v);
    }
  }
  r.body = std::move(reply->body);
  return r;
}

}  // namespace mlws::api
