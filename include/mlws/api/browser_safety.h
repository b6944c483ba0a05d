// BrowserSafety: refuses requests a web page on another site could make a browser send.
//
// Applies to state-changing requests (any method but GET, HEAD and OPTIONS), from the headers
// alone (it runs before the body is read):
//  * Origin must be this server's own origin (its listen host names and port; behind a proxy
//    or on a wildcard address: the origin named by the Host header) or one of the configured
//    allowed origins. "Origin: null" is refused. Without Origin, "Sec-Fetch-Site: cross-site"
//    or "same-site" is refused.
//  * On a loopback address the Host header must name loopback (a DNS-rebinding page sends its
//    own host name).
//  * A body of a non-streaming route must be "Content-Type: application/json" (what the MLflow
//    clients, the CLI and the studio send); text/plain and form types are what a page can send
//    without a CORS preflight, so they get 415. Only a client that is not a browser (no Origin,
//    Sec-Fetch-* or X-Requested-With header) may leave the Content-Type out.
//  * POST/PUT/PATCH without a body but with a query string are refused (400): routes take their
//    arguments from the JSON body, never from a URL a page can make a browser request.
// Each refusal is a 4xx with {"error_code","message"}, before anything changes.
// Thread-safe after construction; set_port() may be called while requests are served.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "mlws/http/request.h"

namespace mlws::api {

class BrowserSafety {
 public:
  // `listen_host` is the address the server listens on; `allowed_origins` are extra origins
  // ("https://ml.example.com") that may send state-changing requests.
  BrowserSafety(const std::string& listen_host, int port, std::vector<std::string> allowed_origins);
  void set_port(int port) { port_ = port; }

  // A refusal for a request that fails the rules above, or nullopt.
  std::optional<http::Response> Check(const http::Request& req, bool streams_body) const;

  // True when a browser sent the request (so a 401 must not carry "WWW-Authenticate: Basic",
  // which would make the browser prompt for and cache a password for every page).
  static bool FromBrowser(const http::Request& req);

 private:
  bool OwnOrigin(const std::string& origin, const http::Request& req) const;

  bool loopback_ = false;
  std::vector<std::string> own_hosts_;  // lower-case host names (IPv6 in brackets)
  std::vector<std::string> allowed_origins_;
  std::atomic<int> port_{0};
};

}  // namespace mlws::api
