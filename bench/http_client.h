// A minimal blocking HTTP/1.1 client for load generation against a loopback server.
//
// Contract:
//  * One HttpConn is one keep-alive TCP connection; it is NOT thread-safe. Give each load thread
//    its own HttpConn.
//  * Every request is bounded in time: connect waits at most `timeout`, each send/recv at most
//    `timeout` (SO_SNDTIMEO/SO_RCVTIMEO) and the request deadline (`timeout` after its start) is
//    checked between operations, so a request that stalls or trickles ends with an error Result
//    after at most about 2 x timeout, never a hang.
//  * Only loopback addresses are accepted: ParseUrl refuses any URL whose host does not resolve to
//    127.0.0.0/8 or ::1.
//  * Responses framed by Content-Length, chunked transfer-encoding or connection close are read;
//    the connection is reopened transparently after "Connection: close" or a transport failure.
//  * Errors are values: Do() never throws; a transport failure gives status 0 and an error text.
#ifndef MLWS_BENCH_HTTP_CLIENT_H_
#define MLWS_BENCH_HTTP_CLIENT_H_

#include <sys/socket.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mlws::bench {

// A parsed and resolved http:// base URL. `prefix` is the path part without a trailing slash
// ("" or "/workspaces/x"); request paths are appended to it.
struct Url {
  std::string host;  // as written (used for the Host header)
  int port = 80;
  std::string prefix;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
};

// Parses "http://host[:port][/prefix]". Returns nullopt and fills *error for a malformed URL, an
// unresolvable host or a non-loopback address.
std::optional<Url> ParseUrl(std::string_view text, std::string* error);

// Outcome of one request. status == 0 means a transport error (see `error`).
struct Result {
  int status = 0;
  std::string error;
  bool ok() const { return status >= 200 && status < 300; }
};

class HttpConn {
 public:
  // timeout_s bounds the whole request (connect + send + receive).
  HttpConn(const Url& url, double timeout_s);
  ~HttpConn();
  HttpConn(HttpConn&& other) noexcept;
  HttpConn& operator=(HttpConn&&) = delete;
  HttpConn(const HttpConn&) = delete;
  HttpConn& operator=(const HttpConn&) = delete;

  // Sends `method target` with an optional JSON body and reads the full response body into
  // *body (cleared first). `target` is the path+query *after* the URL prefix, e.g.
  // "/api/2.0/mlflow/runs/create"; the prefix is prepended here.
  Result Do(std::string_view method, std::string_view target, std::string_view json_body,
            std::string* body);

  // Responses larger than this are an error (protects the load generator's memory).
  static constexpr size_t kMaxBody = size_t{2} << 30;

 private:
  Result DoOnce(std::string_view method, std::string_view target, std::string_view json_body,
                std::string* body, bool* retryable);
  bool Connect(double deadline, std::string* error);
  bool SendAll(const std::string& head, std::string_view body, double deadline, std::string* error);
  // Ensures buf_ holds at least `need` bytes past start_; false on EOF/timeout/error.
  bool Fill(size_t need, double deadline, std::string* error, bool* eof);
  void Close();

  const Url& url_;
  double timeout_s_;
  int fd_ = -1;
  bool reused_ = false;  // the connection already served a response
  std::string buf_;      // received bytes; [start_, buf_.size()) not yet consumed
  size_t start_ = 0;
};

// Monotonic seconds.
double NowS();
// Wall clock, epoch milliseconds.
long long EpochMs();
// Percent-encodes a query-string value.
std::string UrlEncode(std::string_view s);

}  // namespace mlws::bench

#endif  // MLWS_BENCH_HTTP_CLIENT_H_
