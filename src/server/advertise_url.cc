#include "server/advertise_url.h"

#include <fmt/format.h>

#include <cctype>

namespace mlws::server {

StatusOr<std::string> CheckAdvertiseUrl(const std::string& url) {
  auto bad = [&](const std::string& why) {
    return Status(
        ErrorCode::kInvalidParameterValue,
        fmt::format("--advertise-url '{}': {} (expected http[s]://host[:port][/path])", url, why));
  };
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else {
    return bad("the scheme must be http:// or https://");
  }
  for (unsigned char c : url) {
    if (std::isspace(c) != 0 || std::iscntrl(c) != 0) return bad("it holds a space or control");
  }
  if (url.find_first_of("?#") != std::string::npos) return bad("no query or fragment");
  std::string authority = rest.substr(0, rest.find('/'));
  if (authority.find('@') != std::string::npos) {
    // Not echoed: the part before '@' is a password.
    return Status(ErrorCode::kInvalidParameterValue,
                  "--advertise-url: no user or password in it (it is stored in the database, "
                  "for every server and `mlws doctor` to read)");
  }
  if (authority.empty() || authority[0] == ':') return bad("the host is missing");
  auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.back() != ']') {  // not the end of an IPv6 address
    std::string port = authority.substr(colon + 1);
    bool digits = !port.empty() && port.size() <= 5;
    for (char c : port) digits = digits && std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
      return bad("the port must be 1-65535");
    }
  }
  std::string out = url;
  std::size_t minimum = url.size() - rest.size() + authority.size();  // scheme and authority
  while (out.size() > minimum && out.back() == '/') out.pop_back();
  return out;
}

std::string ServerUrl(bool tls, const std::string& host, int port,
                      const std::string& wildcard_host) {
  bool any = host.empty() || host == "0.0.0.0" || host == "::";
  std::string h = any ? wildcard_host : host;
  if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]";
  return fmt::format("{}://{}:{}", tls ? "https" : "http", h, port);
}

}  // namespace mlws::server
