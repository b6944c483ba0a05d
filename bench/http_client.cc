#include "http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

namespace mlws::bench {

double NowS() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

long long EpochMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string UrlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

bool IsLoopback(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
  }
  return false;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return tolower(static_cast<unsigned char>(x)) == tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

int RemainingMs(double deadline) {
  double left = deadline - NowS();
  if (left <= 0) return 0;
  return static_cast<int>(std::min(left * 1000.0 + 1, 2.0e9));
}

}  // namespace

std::optional<Url> ParseUrl(std::string_view text, std::string* error) {
  constexpr std::string_view kScheme = "http://";
  if (text.substr(0, kScheme.size()) != kScheme) {
    *error = "URL must start with http://";
    return std::nullopt;
  }
  text.remove_prefix(kScheme.size());
  size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : text.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);

  Url url;
  std::string_view host = authority;
  std::string_view port = "80";
  if (!authority.empty() && authority.front() == '[') {  // [::1]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      *error = "bad IPv6 literal";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      port = authority.substr(close + 2);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), url.port);
  if (ec != std::errc() || p != port.data() + port.size() || url.port <= 0 || url.port > 65535 ||
      host.empty()) {
    *error = "bad host or port in URL";
    return std::nullopt;
  }
  url.host = std::string(authority);
  url.prefix = std::string(path);

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string host_s(host), port_s(port);
  if (int rc = getaddrinfo(host_s.c_str(), port_s.c_str(), &hints, &res); rc != 0) {
    *error = std::string("cannot resolve host: ") + gai_strerror(rc);
    return std::nullopt;
  }
  bool found = false;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (IsLoopback(ai->ai_addr)) {
      std::memcpy(&url.addr, ai->ai_addr, ai->ai_addrlen);
      url.addr_len = ai->ai_addrlen;
      found = true;
      break;
    }
  }
  freeaddrinfo(res);
  if (!found) {
    *error = "refusing non-loopback host '" + host_s + "' (only 127.0.0.0/8 and ::1 are allowed)";
    return std::nullopt;
  }
  return url;
}

HttpConn::HttpConn(const Url& url, double timeout_s) : url_(url), timeout_s_(timeout_s) {}

HttpConn::~HttpConn() { Close(); }

HttpConn::HttpConn(HttpConn&& other) noexcept
    : url_(other.url_),
      timeout_s_(other.timeout_s_),
      fd_(other.fd_),
      reused_(other.reused_),
      buf_(std::move(other.buf_)),
      start_(other.start_) {
  other.fd_ = -1;
}

void HttpConn::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  reused_ = false;
  buf_.clear();
  start_ = 0;
}

bool HttpConn::Connect(double deadline, std::string* error) {
  Close();
  fd_ = ::socket(url_.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) {
    *error = std::string("socket: ") + strerror(errno);
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&url_.addr), url_.addr_len) != 0) {
    if (errno != EINPROGRESS) {
      *error = std::string("connect: ") + strerror(errno);
      Close();
      return false;
    }
    pollfd pfd{fd_, POLLOUT, 0};
    int rc;
    do {
      rc = ::poll(&pfd, 1, RemainingMs(deadline));
    } while (rc < 0 && errno == EINTR);
    if (rc <= 0) {
      *error = rc == 0 ? "connect: timeout" : std::string("connect poll: ") + strerror(errno);
      Close();
      return false;
    }
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (soerr != 0) {
      *error = std::string("connect: ") + strerror(soerr);
      Close();
      return false;
    }
  }
  // Blocking I/O from here on (one syscall per send/recv instead of recv+poll+recv); the
  // kernel enforces a per-operation timeout and callers check the request deadline between
  // operations, so a request is bounded by about twice the timeout even for a slow-drip peer.
  int flags = fcntl(fd_, F_GETFL, 0);
  fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout_s_);
  tv.tv_usec = static_cast<suseconds_t>((timeout_s_ - static_cast<double>(tv.tv_sec)) * 1e6);
  if (tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1000;
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return true;
}

bool HttpConn::SendAll(const std::string& head, std::string_view body, double deadline,
                       std::string* error) {
  size_t sent = 0;
  const size_t total = head.size() + body.size();
  while (sent < total) {
    iovec iov[2];
    int n = 0;
    if (sent < head.size()) {
      iov[n++] = {const_cast<char*>(head.data()) + sent, head.size() - sent};
      if (!body.empty()) iov[n++] = {const_cast<char*>(body.data()), body.size()};
    } else {
      size_t off = sent - head.size();
      iov[n++] = {const_cast<char*>(body.data()) + off, body.size() - off};
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    ssize_t w = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (w > 0) {
      sent += static_cast<size_t>(w);
      if (sent < total && NowS() >= deadline) {
        *error = "send: timeout";
        return false;
      }
      continue;
    }
    if (w < 0 && errno == EINTR && NowS() < deadline) continue;
    *error = (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) || NowS() >= deadline
                 ? "send: timeout"
                 : std::string("send: ") + strerror(errno);
    return false;
  }
  return true;
}

bool HttpConn::Fill(size_t need, double deadline, std::string* error, bool* eof) {
  *eof = false;
  while (buf_.size() - start_ < need) {
    if (buf_.size() - start_ > kMaxBody) {
      *error = "response too large";
      return false;
    }
    size_t old = buf_.size();
    size_t want = std::max<size_t>(need - (old - start_), 64 * 1024);
    buf_.resize(old + want);
    ssize_t r = ::recv(fd_, buf_.data() + old, want, 0);
    if (r > 0) {
      buf_.resize(old + static_cast<size_t>(r));
      if (buf_.size() - start_ < need && NowS() >= deadline) {
        *error = "receive: timeout";
        return false;
      }
      continue;
    }
    int err = errno;
    buf_.resize(old);
    if (r == 0) {
      *eof = true;
      *error = "connection closed by server";
      return false;
    }
    if (err == EINTR && NowS() < deadline) continue;
    *error = err == EAGAIN || err == EWOULDBLOCK || err == EINTR
                 ? "receive: timeout"
                 : std::string("receive: ") + strerror(err);
    return false;
  }
  return true;
}

Result HttpConn::Do(std::string_view method, std::string_view target, std::string_view json_body,
                    std::string* body) {
  bool retryable = false;
  Result r = DoOnce(method, target, json_body, body, &retryable);
  // A kept-alive connection the server closed while idle: retry once on a fresh one. Safe even
  // for POST because not a single response byte was received.
  if (r.status == 0 && retryable) r = DoOnce(method, target, json_body, body, &retryable);
  return r;
}

Result HttpConn::DoOnce(std::string_view method, std::string_view target,
                        std::string_view json_body, std::string* body, bool* retryable) {
  *retryable = false;
  body->clear();
  Result res;
  const double deadline = NowS() + timeout_s_;
  if (fd_ < 0 && !Connect(deadline, &res.error)) return res;
  const bool was_reused = reused_;

  std::string head;
  head.reserve(256 + target.size());
  head.append(method).append(" ").append(url_.prefix).append(target).append(" HTTP/1.1\r\n");
  head.append("Host: ").append(url_.host).append("\r\n");
  head.append("User-Agent: mlws-loadgen\r\nAccept: */*\r\n");
  if (method != "GET" || !json_body.empty()) {
    head.append("Content-Type: application/json\r\nContent-Length: ")
        .append(std::to_string(json_body.size()))
        .append("\r\n");
  }
  head.append("\r\n");

  if (!SendAll(head, json_body, deadline, &res.error)) {
    *retryable = was_reused;
    Close();
    return res;
  }

  // Header block (skipping any 1xx interim responses).
  size_t header_end;
  bool eof = false;
  for (;;) {
    for (;;) {
      std::string_view view(buf_.data() + start_, buf_.size() - start_);
      header_end = view.find("\r\n\r\n");
      if (header_end != std::string_view::npos) break;
      if (view.size() > 1 << 20) {
        res.error = "response header too large";
        Close();
        return res;
      }
      if (!Fill(view.size() + 1, deadline, &res.error, &eof)) {
        // Nothing received on a reused connection (closed or reset while idle): retryable.
        *retryable =
            was_reused && buf_.size() == start_ && res.error.find("timeout") == std::string::npos;
        Close();
        return res;
      }
    }
    std::string_view head_view(buf_.data() + start_, header_end);
    // Status line: HTTP/1.x NNN reason
    if (head_view.size() < 12 || head_view.substr(0, 5) != "HTTP/") {
      res.error = "malformed status line";
      Close();
      return res;
    }
    int status = 0;
    std::from_chars(head_view.data() + 9, head_view.data() + 12, status);
    if (status >= 100 && status < 200) {
      start_ += header_end + 4;
      continue;
    }
    res.status = status;
    break;
  }

  std::string_view head_view(buf_.data() + start_, header_end);
  long long content_length = -1;
  bool chunked = false, close_after = false;
  size_t line_start = head_view.find("\r\n") + 2;
  while (line_start < head_view.size()) {
    size_t line_end = head_view.find("\r\n", line_start);
    if (line_end == std::string_view::npos) line_end = head_view.size();
    std::string_view line = head_view.substr(line_start, line_end - line_start);
    line_start = line_end + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(name, "content-length")) {
      std::from_chars(value.data(), value.data() + value.size(), content_length);
    } else if (IEquals(name, "transfer-encoding")) {
      chunked = value.find("chunked") != std::string_view::npos;
    } else if (IEquals(name, "connection")) {
      close_after = IEquals(value, "close");
    }
  }
  if (head_view.substr(0, 8) == "HTTP/1.0") close_after = true;  // no keep-alive negotiated
  start_ += header_end + 4;

  auto fail = [&](const std::string& why) {
    res.status = 0;
    if (res.error.empty()) res.error = why;
    Close();
    return res;
  };

  if (method == "HEAD" || res.status == 204 || res.status == 304) {
    // no body
  } else if (chunked) {
    for (;;) {
      size_t crlf;
      for (;;) {
        std::string_view view(buf_.data() + start_, buf_.size() - start_);
        crlf = view.find("\r\n");
        if (crlf != std::string_view::npos) break;
        if (view.size() > 4096) return fail("bad chunk header");
        if (!Fill(view.size() + 1, deadline, &res.error, &eof)) return fail("chunk header");
      }
      size_t chunk = 0;
      auto [p, ec] = std::from_chars(buf_.data() + start_, buf_.data() + start_ + crlf, chunk, 16);
      if (ec != std::errc()) return fail("bad chunk size");
      start_ += crlf + 2;
      if (chunk == 0) {
        // Trailers, terminated by an empty line.
        for (;;) {
          if (!Fill(2, deadline, &res.error, &eof)) return fail("chunk trailer");
          std::string_view view(buf_.data() + start_, buf_.size() - start_);
          size_t e = view.find("\r\n");
          if (e == std::string_view::npos) {
            if (!Fill(view.size() + 1, deadline, &res.error, &eof)) return fail("chunk trailer");
            continue;
          }
          start_ += e + 2;
          if (e == 0) break;
        }
        break;
      }
      if (body->size() + chunk > kMaxBody) return fail("response too large");
      if (!Fill(chunk + 2, deadline, &res.error, &eof)) return fail("chunk body");
      body->append(buf_.data() + start_, chunk);
      start_ += chunk + 2;
      // Compact the buffer so it does not grow with the whole response.
      if (start_ > (1 << 20)) {
        buf_.erase(0, start_);
        start_ = 0;
      }
    }
  } else if (content_length >= 0) {
    if (static_cast<unsigned long long>(content_length) > kMaxBody) {
      return fail("response too large");
    }
    size_t n = static_cast<size_t>(content_length);
    size_t have = std::min(n, buf_.size() - start_);
    body->reserve(n);
    body->append(buf_.data() + start_, have);
    start_ += have;
    if (have < n) {
      // Read the rest straight into the body.
      buf_.clear();
      start_ = 0;
      size_t got = have;
      body->resize(n);
      while (got < n) {
        ssize_t r = ::recv(fd_, body->data() + got, n - got, 0);
        if (r > 0) {
          got += static_cast<size_t>(r);
          if (got < n && NowS() >= deadline) return fail("receive body: timeout");
          continue;
        }
        if (r == 0) return fail("connection closed mid-body");
        int err = errno;
        if (err == EINTR && NowS() < deadline) continue;
        if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
          return fail("receive body: timeout");
        }
        return fail(std::string("receive body: ") + strerror(err));
      }
    }
  } else {
    // Body delimited by connection close.
    for (;;) {
      if (!Fill(buf_.size() - start_ + 1, deadline, &res.error, &eof)) {
        if (eof) break;
        return fail("body");
      }
      if (buf_.size() - start_ > kMaxBody) return fail("response too large");
    }
    res.error.clear();
    body->append(buf_.data() + start_, buf_.size() - start_);
    start_ = buf_.size();
    close_after = true;
  }

  if (start_ == buf_.size()) {
    buf_.clear();
    start_ = 0;
  }
  if (close_after) {
    Close();
  } else {
    reused_ = true;
  }
  return res;
}

}  // namespace mlws::bench
