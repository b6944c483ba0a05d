// The studio's static files (web/dist, built by `make web`): GET of any path outside the APIs.
// "/" and paths under /workspaces/<ws>/ are client-side pages and get index.html, so deep links
// and the browser's reload work; other paths serve the file they name, or 404.
#include <filesystem>
#include <string_view>

#include "api/handlers.h"

namespace mlws::api {

namespace {

namespace fs = std::filesystem;

std::string_view ContentTypeOf(const fs::path& p) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  };
  const std::string ext = p.extension().string();
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return type;
  }
  return "application/octet-stream";
}

http::Response FileResponse(const fs::path& file, bool immutable) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return http::ErrorResponse(NotFound("studio file not found"));
  http::Response r;
  r.content_type = std::string(ContentTypeOf(file));
  r.file_path = file.string();
  r.file_size = static_cast<std::int64_t>(size);
  r.headers.emplace_back("Cache-Control",
                         immutable ? "public, max-age=31536000, immutable" : "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace

http::Response Studio(ApiContext& ctx, http::Request& req) {
  const std::string& rel = req.path_params["path"];
  // The studio's pages: "/" and everything under /workspaces/<ws>/ (client-side routes).
  const bool page = rel.empty() || rel.rfind("workspaces/", 0) == 0;
  if (ctx.web_root.empty()) {
    if (page) {
      return http::ErrorResponse(NotFound(
          "the studio is not built: run `make web` (or start the server with --web-root DIR)"));
    }
    return http::ErrorResponse(
        Status(ErrorCode::kEndpointNotFound, "no endpoint " + req.method + " /" + rel));
  }
  const fs::path root(ctx.web_root);
  if (page) return FileResponse(root / "index.html", false);
  // Otherwise only plain relative names of files: no "..", no absolute parts, no hidden files.
  bool plain = rel.find("..") == std::string::npos && rel.front() != '/' &&
               rel.find("/.") == std::string::npos && rel.front() != '.' &&
               rel.find('\\') == std::string::npos && rel.find('\0') == std::string::npos;
  if (plain) {
    std::error_code ec;
    fs::path file = root / rel;
    auto st = fs::symlink_status(file, ec);
    if (!ec && fs::is_regular_file(st)) {
      // Vite names bundle files by content hash under assets/: they never change.
      return FileResponse(file, rel.rfind("assets/", 0) == 0);
    }
  }
  return http::ErrorResponse(
      Status(ErrorCode::kEndpointNotFound, "no endpoint " + req.method + " /" + rel));
}

}  // namespace mlws::api
