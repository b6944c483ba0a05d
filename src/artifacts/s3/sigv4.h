// AWS Signature Version 4 for S3 requests, over OpenSSL's HMAC-SHA256 (our own: libcurl 7.88's
// aws-sigv4 canonicalises listing query strings wrongly). Pure functions, thread-safe.
//
// Reference: AWS "Signature Calculations for the Authorization Header" and "Authenticating
// Requests: Using Query Parameters"; tests/artifacts/sigv4_test.cc checks AWS's published
// examples.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlws/common/env.h"

namespace mlws::artifacts::sigv4 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // sent as x-amz-security-token when set
};

struct Request {
  std::string method;  // "GET", "PUT", ...
  std::string path;    // raw (not yet encoded) absolute path: "/bucket/a b.txt"
  // Raw (not yet encoded) query parameters; order does not matter.
  std::vector<std::pair<std::string, std::string>> query;
  // Headers to sign, any case; must include "host". x-amz-date and x-amz-content-sha256 are
  // added by Sign() when missing.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_sha256 = "UNSIGNED-PAYLOAD";  // hex digest, or UNSIGNED-PAYLOAD
};

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters stay, everything else is
// %XX (upper case); '/' stays only when `keep_slash`.
std::string UriEncode(std::string_view s, bool keep_slash);
// "a=1&b=2" with keys and values encoded and sorted, as in the canonical request (and the URL).
std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query);
std::string CanonicalRequest(const Request& req);
// The hex signature of `string_to_sign` under the key derived for date/region/service.
std::string Signature(const std::string& secret, const std::string& date_yyyymmdd,
                      const std::string& region, const std::string& service,
                      const std::string& string_to_sign);
// Hex HMAC key chain output (for the published key-derivation example).
std::string SigningKeyHex(const std::string& secret, const std::string& date_yyyymmdd,
                          const std::string& region, const std::string& service);

// Signs `req` at `amz_date` ("20130524T000000Z"): returns the headers to send (the signed
// ones, x-amz-date, x-amz-content-sha256, x-amz-security-token, and Authorization).
std::vector<std::pair<std::string, std::string>> Sign(const Request& req, const Credentials& creds,
                                                      const std::string& region,
                                                      const std::string& service,
                                                      const std::string& amz_date);

// A presigned URL query string (everything after '?'): the request's own query plus the
// X-Amz-* parameters and X-Amz-Signature; only "host" is signed, the payload is unsigned.
std::string PresignQuery(const Request& req, const Credentials& creds, const std::string& region,
                         const std::string& service, const std::string& amz_date,
                         int expires_seconds);

// `ms` since the epoch as "YYYYMMDDTHHMMSSZ" (UTC), the x-amz-date form.
std::string AmzDate(std::int64_t ms);
// The wall clock of `env` (common/env.h) as x-amz-date: requests are signed at the Env's time,
// so a test with a fixed clock gets a known signature.
std::string AmzDateNow(Env& env);

}  // namespace mlws::artifacts::sigv4
