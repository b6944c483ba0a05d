// Request and Response: the HTTP layer's view of one exchange, free of Boost.Beast so handlers
// compile fast and can be tested without sockets.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/http/body_source.h"

namespace mlws::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded path, without the workspace prefix for MLflow routes
  std::string query_string;
  std::string raw_target;  // the request target as received (still percent-encoded, with query)
  std::multimap<std::string, std::string> query;             // decoded; repeated keys kept in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  // For routes that stream their body: the staged file holding it (already fsynced).
  std::string body_file;
  std::int64_t body_size = 0;
  std::map<std::string, std::string> path_params;  // from {name} / {name...} in the route
  std::string workspace = "default";               // from the /workspaces/<ws> prefix
  std::string route;  // the matched route's pattern (empty when none matched)
  std::string remote_addr;
  bool tls = false;  // arrived over HTTPS
  // Set by the authorization layer before the handler runs (by the route's admission hook,
  // before the body is read, when the route has one).
  std::string user = "local";
  std::int64_t user_id = 0;
  bool admitted = false;  // authenticated and authorized already: do not check again
  // When non-zero, a body limit lower than the route's (e.g. for anonymous callers).
  std::size_t max_body_bytes = 0;

  // First value of a query parameter, if present.
  std::optional<std::string> Query(std::string_view key) const;
  std::vector<std::string> QueryAll(std::string_view key) const;
  std::optional<std::string> Header(std::string_view lower_name) const;
};

// A Response that turns its connection into a byte tunnel (WebSocket upgrades of a compute
// instance's lab, docs/compute.md): the server connects to 127.0.0.1:<port>, sends `head` (the
// request's header block as the handler rewrote it) and then relays bytes both ways, without
// deadlines, until either side closes or the server stops. Nothing else is sent to the client.
struct Tunnel {
  int port = 0;
  std::string head;
  std::function<void(std::uint64_t bytes)> on_traffic;  // optional: called as bytes pass
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When set, the server streams this file as the body instead of `body`.
  std::string file_path;
  std::int64_t file_size = 0;
  // When set (and file_path is not), the server pulls the body from this source as it sends it
  // (body_source.h); `body` is then ignored.
  std::shared_ptr<BodySource> body_source;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<Tunnel> tunnel;  // when set, everything above is ignored (see Tunnel)
};

// {"error_code": ..., "message": ...} with the HTTP status mapped from the Status code.
Response ErrorResponse(const Status& status);
int HttpStatusFor(ErrorCode code);
Response JsonResponse(std::string json, int status = 200);
Response TextResponse(std::string text, int status = 200);

// Percent-decoding; '+' becomes a space only when `plus_as_space` (query strings).
// Returns nullopt on malformed escapes, and when the result holds a NUL or is not valid UTF-8.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_as_space);
// Parses "a=1&b=2&b=3"; malformed escapes give InvalidArgument.
Status ParseQueryString(std::string_view qs, std::multimap<std::string, std::string>& out);

}  // namespace mlws::http
