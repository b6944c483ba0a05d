#include "cli/client.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/http_client.h"

namespace mlws::cli {

using nlohmann::json;

std::string UrlEscape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

namespace {
std::string NormalizeUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}
}  // namespace

std::string BaseUrl(const Globals& g) { return NormalizeUrl(g.url); }

std::string AuthorizationFor(const Globals& g) {
  std::string token = g.token;
  if (token.empty()) token = SavedToken(BaseUrl(g)).value_or("");
  return token.empty() ? "" : "Bearer " + token;
}

void PrintHttpError(long status, const std::string& body) {
  json j = json::parse(body, nullptr, false);
  std::string msg = j.is_object() && j.contains("message") && j["message"].is_string()
                        ? j["message"].get<std::string>()
                        : body;
  std::string code = j.is_object() && j.contains("error_code") && j["error_code"].is_string()
                         ? j["error_code"].get<std::string>()
                         : std::to_string(status);
  std::cerr << "error: " << msg << " (" << code << ")\n";
  if (status == 401) std::cerr << "hint: run `mlws login --user <name>` or pass --token\n";
}

std::string UrlEscapePath(const std::string& path) {
  std::string out;
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    out += UrlEscape(
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) return out;
    out += '/';
    start = slash + 1;
  }
}

bool DownloadFile(const Globals& g, const std::string& path, const std::string& dest) {
  auto r = HttpDownloadFile(BaseUrl(g) + path, dest, AuthorizationFor(g));
  if (!r.ok()) {
    std::cerr << "error: " << r.status().message() << "\n";
    return false;
  }
  if (r->status >= 400) {
    PrintHttpError(r->status, r->body);
    return false;
  }
  return true;
}

std::optional<json> Call(const Globals& g, const std::string& method, const std::string& path,
                         const json& body, const std::string& authorization, long timeout_s) {
  std::string base = BaseUrl(g);
  std::string auth = authorization.empty() ? AuthorizationFor(g) : authorization;
  // Text from the command line may not be UTF-8: replaced, the server then names what it got.
  std::string text =
      body.is_null() ? "" : body.dump(-1, ' ', false, json::error_handler_t::replace);
  auto r = HttpCall(method, base + path, text, auth, timeout_s);
  if (!r.ok()) {
    std::cerr << "error: " << r.status().message() << "\n";
    return std::nullopt;
  }
  json j = json::parse(r->body, nullptr, false);
  if (r->status >= 400) {
    PrintHttpError(r->status, r->body);
    return std::nullopt;
  }
  if (j.is_discarded()) {
    std::cerr << "error: the server sent a response that is not JSON\n";
    return std::nullopt;
  }
  return j;
}

std::string MlflowPrefix(const Globals& g) {
  return g.workspace == "default" ? "/api/2.0/mlflow"
                                  : "/workspaces/" + UrlEscape(g.workspace) + "/api/2.0/mlflow";
}

std::string CredentialsPath() {
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.mlws/credentials";
}

std::optional<std::string> SavedToken(const std::string& url) {
  std::ifstream in(CredentialsPath());
  if (!in) return std::nullopt;
  json j = json::parse(in, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(NormalizeUrl(url));
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

bool SaveToken(const std::string& url, const std::string& token) {
  std::string path = CredentialsPath();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  json j = json::object();
  {
    std::ifstream in(path);
    if (in) {
      json old = json::parse(in, nullptr, false);
      if (old.is_object()) j = std::move(old);
    }
  }
  j[NormalizeUrl(url)] = token;
  std::string tmp = path + ".tmp";
  {
    // Created 0600 before anything is written: the token never sits in a readable file.
    mode_t old_mask = ::umask(077);
    std::ofstream out(tmp, std::ios::trunc);
    ::umask(old_mask);
    if (!out) return false;
    out << j.dump(2) << "\n";
    if (!out) return false;
  }
  ::chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

}  // namespace mlws::cli
