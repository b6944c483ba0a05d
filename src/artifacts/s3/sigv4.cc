#include "artifacts/s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "mlws/common/sha256.h"

namespace mlws::artifacts::sigv4 {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims and collapses runs of spaces, as the canonical headers require.
std::string TrimValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string SigningKey(const std::string& secret, const std::string& date,
                       const std::string& region, const std::string& service) {
  std::string k = Hmac("AWS4" + secret, date);
  k = Hmac(k, region);
  k = Hmac(k, service);
  return Hmac(k, "aws4_request");
}

// Sorted, lower-cased names and canonical values of the headers to sign.
std::vector<std::pair<std::string, std::string>> CanonicalHeaders(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, v] : headers) out.emplace_back(Lower(k), TrimValue(v));
  std::sort(out.begin(), out.end());
  return out;
}

std::string SignedHeaders(const std::vector<std::pair<std::string, std::string>>& canon) {
  std::string out;
  for (const auto& [k, v] : canon) out += (out.empty() ? "" : ";") + k;
  return out;
}

std::string StringToSign(const std::string& amz_date, const std::string& scope,
                         const std::string& canonical_request) {
  return std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" +
         Sha256Hex(canonical_request);
}

bool HasHeader(const std::vector<std::pair<std::string, std::string>>& h, std::string_view n) {
  return std::any_of(h.begin(), h.end(), [&](const auto& kv) { return Lower(kv.first) == n; });
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (c == '/' && keep_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> enc;
  for (const auto& [k, v] : query) enc.emplace_back(UriEncode(k, false), UriEncode(v, false));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

std::string CanonicalRequest(const Request& req) {
  auto canon = CanonicalHeaders(req.headers);
  std::string out = req.method + "\n" + UriEncode(req.path.empty() ? "/" : req.path, true) + "\n" +
                    CanonicalQuery(req.query) + "\n";
  for (const auto& [k, v] : canon) out += k + ":" + v + "\n";
  out += "\n" + SignedHeaders(canon) + "\n" + req.payload_sha256;
  return out;
}

std::string Signature(const std::string& secret, const std::string& date, const std::string& region,
                      const std::string& service, const std::string& string_to_sign) {
  return Hex(Hmac(SigningKey(secret, date, region, service), string_to_sign));
}

std::string SigningKeyHex(const std::string& secret, const std::string& date,
                          const std::string& region, const std::string& service) {
  return Hex(SigningKey(secret, date, region, service));
}

std::vector<std::pair<std::string, std::string>> Sign(const Request& req, const Credentials& creds,
                                                      const std::string& region,
                                                      const std::string& service,
                                                      const std::string& amz_date) {
  Request r = req;
  if (!HasHeader(r.headers, "x-amz-date")) r.headers.emplace_back("x-amz-date", amz_date);
  if (!HasHeader(r.headers, "x-amz-content-sha256")) {
    r.headers.emplace_back("x-amz-content-sha256", r.payload_sha256);
  }
  if (!creds.session_token.empty() && !HasHeader(r.headers, "x-amz-security-token")) {
    r.headers.emplace_back("x-amz-security-token", creds.session_token);
  }
  std::string date = amz_date.substr(0, 8);
  std::string scope = date + "/" + region + "/" + service + "/aws4_request";
  std::string sig = Signature(creds.secret_access_key, date, region, service,
                              StringToSign(amz_date, scope, CanonicalRequest(r)));
  auto out = r.headers;
  out.emplace_back("Authorization",
                   std::string(kAlgorithm) + " Credential=" + creds.access_key_id + "/" + scope +
                       ", SignedHeaders=" + SignedHeaders(CanonicalHeaders(r.headers)) +
                       ", Signature=" + sig);
  return out;
}

std::string PresignQuery(const Request& req, const Credentials& creds, const std::string& region,
                         const std::string& service, const std::string& amz_date,
                         int expires_seconds) {
  Request r = req;
  std::string date = amz_date.substr(0, 8);
  std::string scope = date + "/" + region + "/" + service + "/aws4_request";
  r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                 [](const auto& kv) { return Lower(kv.first) != "host"; }),
                  r.headers.end());
  r.query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  r.query.emplace_back("X-Amz-Credential", creds.access_key_id + "/" + scope);
  r.query.emplace_back("X-Amz-Date", amz_date);
  r.query.emplace_back("X-Amz-Expires", std::to_string(expires_seconds));
  if (!creds.session_token.empty())
    r.query.emplace_back("X-Amz-Security-Token", creds.session_token);
  r.query.emplace_back("X-Amz-SignedHeaders", "host");
  r.payload_sha256 = "UNSIGNED-PAYLOAD";
  std::string sig = Signature(creds.secret_access_key, date, region, service,
                              StringToSign(amz_date, scope, CanonicalRequest(r)));
  return CanonicalQuery(r.query) + "&X-Amz-Signature=" + sig;
}

std::string AmzDateNow(Env& env) { return AmzDate(env.NowMillis()); }

std::string AmzDate(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace mlws::artifacts::sigv4
