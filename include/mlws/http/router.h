// Router: the one declarative route table. Each route names its method, path pattern, the
// action it needs (e.g. "workspaces/runs/write", enforced by the authorization layer) and its
// handler. Patterns are '/'-separated; "{name}" captures one segment, "{name...}" the rest.
//
// MLflow routes are registered once under "/api/2.0/mlflow/..." and answered also under
// "/ajax-api/2.0/...", and under the "/workspaces/<ws>" prefix, which sets Request::workspace.
//
// Routes are added at start-up (not thread-safe); Match() is then safe from many threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mlws/http/request.h"

namespace mlws::http {

using Handler = std::function<Response(Request&)>;
// Runs after the request's headers are parsed and before its body is read: authenticates and
// authorizes from the headers alone. A returned Response refuses the request; the server sends
// it without reading (or staging) the body, and closes the connection when a body was unread.
// It may set Request::admitted, the caller's identity and a lower Request::max_body_bytes.
// Runs on a worker thread (it may check a password or read the store).
using Admission = std::function<std::optional<Response>(Request&)>;

struct Route {
  std::string method;
  std::string pattern;
  std::string action;              // permission needed, e.g. "workspaces/runs/write"
  bool streams_body = false;       // body is staged to a file instead of memory (artifact uploads)
  std::size_t max_body_bytes = 0;  // 0 = the server default
  Handler handler;
  Admission admit;  // optional
};

struct Match {
  const Route* route = nullptr;
  bool path_known = false;  // some route has this path (so a wrong method is 405, not 404)
};

class Router {
 public:
  void Add(Route route);
  // Answers GET/HEAD requests that no route matches and that are not under /api/, /ajax-api/
  // or /workspaces/<ws>/api/ (the studio's static files and its client-side page paths).
  void SetFallback(Route route);
  // Resolves method + decoded path; fills req.path_params, req.workspace and req.path (with
  // the workspace and /ajax-api prefixes removed).
  Match Resolve(Request& req) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  bool MatchPattern(const Route& r, std::string_view path,
                    std::map<std::string, std::string>& params) const;

  std::vector<Route> routes_;
  // Exact (parameter-free) patterns: "METHOD path" -> index into routes_.
  std::unordered_map<std::string, size_t> exact_;
  std::vector<size_t> patterned_;
  std::optional<Route> fallback_;
};

}  // namespace mlws::http
