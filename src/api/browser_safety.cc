#include "mlws/api/browser_safety.h"

#include <algorithm>
#include <cctype>

namespace mlws::api {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

struct HostPort {
  std::string host;
  int port = 0;
};

// "host", "host:port", "[v6]", "[v6]:port"; nullopt when malformed.
std::optional<HostPort> SplitHostPort(const std::string& s, int default_port) {
  HostPort hp;
  std::string rest;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos) return std::nullopt;
    hp.host = Lower(s.substr(0, close + 1));
    rest = s.substr(close + 1);
  } else {
    size_t colon = s.find(':');
    hp.host = Lower(s.substr(0, colon));
    rest = colon == std::string::npos ? "" : s.substr(colon);
  }
  if (hp.host.empty()) return std::nullopt;
  if (rest.empty()) {
    hp.port = default_port;
    return hp;
  }
  if (rest[0] != ':' || rest.size() < 2 || rest.size() > 6) return std::nullopt;
  int port = 0;
  for (size_t i = 1; i < rest.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(rest[i]))) return std::nullopt;
    port = port * 10 + (rest[i] - '0');
  }
  hp.port = port;
  return hp;
}

http::Response Refuse(int status, ErrorCode code, const std::string& message) {
  http::Response r = http::ErrorResponse(Status(code, message));
  r.status = status;
  return r;
}

bool Mutating(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

}  // namespace

BrowserSafety::BrowserSafety(const std::string& listen_host, int port,
                             std::vector<std::string> allowed_origins)
    : port_(port) {
  std::string h = Lower(listen_host);
  loopback_ = h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
  if (loopback_) {
    own_hosts_ = {"localhost", "127.0.0.1", "[::1]"};
    if (h != "localhost" && h != "127.0.0.1" && h != "::1") own_hosts_.push_back(h);
  } else if (!h.empty() && h != "0.0.0.0" && h != "::") {
    own_hosts_ = {h.find(':') != std::string::npos ? "[" + h + "]" : h};
  }
  for (auto& o : allowed_origins) {
    std::string v = Lower(Trim(o));
    while (!v.empty() && v.back() == '/') v.pop_back();
    if (!v.empty()) allowed_origins_.push_back(v);
  }
}

bool BrowserSafety::FromBrowser(const http::Request& req) {
  return req.Header("origin") || req.Header("sec-fetch-site") || req.Header("sec-fetch-mode") ||
         req.Header("x-requested-with");
}

bool BrowserSafety::OwnOrigin(const std::string& origin_raw, const http::Request& req) const {
  std::string origin = Lower(Trim(origin_raw));
  if (std::find(allowed_origins_.begin(), allowed_origins_.end(), origin) !=
      allowed_origins_.end()) {
    return true;
  }
  std::string scheme = req.tls ? "https://" : "http://";
  if (origin.rfind(scheme, 0) != 0) return false;
  auto o = SplitHostPort(origin.substr(scheme.size()), req.tls ? 443 : 80);
  if (!o) return false;
  auto host = req.Header("host");
  auto h = host ? SplitHostPort(Trim(*host), req.tls ? 443 : 80) : std::nullopt;
  if (own_hosts_.empty() || !loopback_) {
    // A proxy or a wildcard address: the origin must be the one the Host header names, and on a
    // named address, that address or the Host.
    bool listed = std::find(own_hosts_.begin(), own_hosts_.end(), o->host) != own_hosts_.end() &&
                  o->port == port_;
    return listed || (h && h->host == o->host && h->port == o->port);
  }
  return o->port == port_ &&
         std::find(own_hosts_.begin(), own_hosts_.end(), o->host) != own_hosts_.end();
}

std::optional<http::Response> BrowserSafety::Check(const http::Request& req,
                                                   bool streams_body) const {
  if (!Mutating(req.method)) return std::nullopt;
  if (auto origin = req.Header("origin")) {
    if (!OwnOrigin(*origin, req)) {
      return Refuse(403, ErrorCode::kPermissionDenied,
                    "cross-origin request refused: Origin '" + origin->substr(0, 200) +
                        "' is not this server's (see --allowed-origin)");
    }
  } else if (auto site = req.Header("sec-fetch-site")) {
    std::string s = Lower(Trim(*site));
    if (s == "cross-site" || s == "same-site") {
      return Refuse(403, ErrorCode::kPermissionDenied,
                    "cross-site request refused (Sec-Fetch-Site: " + s + ")");
    }
  }
  if (loopback_) {
    if (auto host = req.Header("host")) {
      auto h = SplitHostPort(Trim(*host), req.tls ? 443 : 80);
      if (!h || std::find(own_hosts_.begin(), own_hosts_.end(), h->host) == own_hosts_.end()) {
        return Refuse(403, ErrorCode::kPermissionDenied,
                      "request for host '" + host->substr(0, 200) +
                          "' refused: this server listens on loopback only");
      }
    }
  }
  bool has_body = req.Header("transfer-encoding").has_value();
  if (auto cl = req.Header("content-length")) has_body = has_body || Trim(*cl) != "0";
  if (has_body && !streams_body) {
    std::string type = Lower(Trim(req.Header("content-type").value_or("")));
    type = Trim(type.substr(0, type.find(';')));
    // A client that is not a browser may leave the type out (curl, scripts); a browser must
    // not: a page can send a type-less body (a Blob) across sites without a preflight.
    bool untyped_ok = type.empty() && !FromBrowser(req);
    // OTLP span export (POST /v1/traces) sends protobuf: not a CORS-safelisted type either, so
    // a page can only send it after a preflight, which a foreign origin never passes.
    bool protobuf_ok = type == "application/x-protobuf";
    if (type != "application/json" && !untyped_ok && !protobuf_ok) {
      return Refuse(415, ErrorCode::kBadRequest,
                    "a request body must be sent with Content-Type: application/json (got '" +
                        type.substr(0, 100) + "')");
    }
  }
  if (!has_body && !req.query_string.empty() && req.method != "DELETE") {
    return Refuse(400, ErrorCode::kBadRequest,
                  req.method + " arguments go in a JSON body, not in the query string");
  }
  return std::nullopt;
}

}  // namespace mlws::api
