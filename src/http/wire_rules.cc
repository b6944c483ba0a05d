#include "mlws/http/wire_rules.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace mlws::http {

namespace {
std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

Status CheckFraming(const std::vector<std::string>& transfer_encodings, bool has_content_length) {
  if (transfer_encodings.empty()) return Status::Ok();
  if (has_content_length) {
    return BadRequest("a request may not carry both Content-Length and Transfer-Encoding");
  }
  if (transfer_encodings.size() != 1 || !IEquals(Trim(transfer_encodings[0]), "chunked")) {
    std::string all;
    for (const auto& v : transfer_encodings) all += (all.empty() ? "" : ", ") + v;
    if (all.size() > 100) all = all.substr(0, 100) + "...";
    return BadRequest("unsupported Transfer-Encoding '" + all + "': only 'chunked' is accepted");
  }
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> SecurityHeaders(bool tls) {
  // The studio is a Vite build: module scripts and stylesheets from /assets, a data: favicon,
  // blob: URLs for downloaded images, fetch() to its own origin. React sets styles through the
  // CSSOM, which style-src does not govern; 'unsafe-inline' styles stay allowed for libraries
  // that inject <style> elements.
  std::vector<std::pair<std::string, std::string>> h = {
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"},
      {"X-Frame-Options", "DENY"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "same-origin"},
  };
  if (tls) h.emplace_back("Strict-Transport-Security", "max-age=31536000");
  return h;
}

std::string_view MethodLabel(std::string_view method) {
  static constexpr std::array<std::string_view, 7> kKnown = {"GET",   "HEAD",   "POST",   "PUT",
                                                             "PATCH", "DELETE", "OPTIONS"};
  for (auto k : kKnown) {
    if (k == method) return k;
  }
  return "other";
}

}  // namespace mlws::http
