// The CLI's view of the server: global flags, authenticated JSON calls, credentials file.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace mlws::cli {

struct Globals {
  std::string url;
  std::string output = "table";
  std::string workspace = "default";
  std::string token;  // --token / MLWS_TOKEN; else the credentials file
};

std::string UrlEscape(const std::string& s);
// Escapes each '/'-separated segment of a path, keeping the slashes.
std::string UrlEscapePath(const std::string& path);

// Calls the server with the caller's credentials (explicit `authorization` header wins); prints
// the server's error message and returns nullopt on failure.
std::optional<nlohmann::json> Call(const Globals& g, const std::string& method,
                                   const std::string& path,
                                   const nlohmann::json& body = nlohmann::json(),
                                   const std::string& authorization = "", long timeout_s = 120);

std::string MlflowPrefix(const Globals& g);

// The server URL without a trailing slash, and the Authorization header value for it.
std::string BaseUrl(const Globals& g);
std::string AuthorizationFor(const Globals& g);
// Reports a failed call the way Call() does (message and error code from the JSON body).
void PrintHttpError(long status, const std::string& body);
// GETs server `path` into the local file `dest`; prints the error and returns false on failure.
bool DownloadFile(const Globals& g, const std::string& path, const std::string& dest);

// ~/.mlws/credentials: {"<server url>": "<token>"}, mode 0600.
std::string CredentialsPath();
std::optional<std::string> SavedToken(const std::string& url);
bool SaveToken(const std::string& url, const std::string& token);

}  // namespace mlws::cli
