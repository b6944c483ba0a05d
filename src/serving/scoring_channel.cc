// The Unix socket channel to a scoring instance (see include/mlws/serving/scoring_channel.h).
#include "mlws/serving/scoring_channel.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace mlws::serving {

namespace {

constexpr std::size_t kMaxReply = 64u << 20;

using Clock = std::chrono::steady_clock;

Status Gone(const std::string& what) {
  return Status(ErrorCode::kTemporarilyUnavailable, "scoring instance unavailable: " + what);
}

int MsLeft(Clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// 1 = done, 0 = timed out, -1 = error/closed.
int WriteAll(int fd, const std::string& data, Clock::time_point deadline) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      int left = MsLeft(deadline);
      if (left == 0 || ::poll(&p, 1, left) == 0) return 0;
      continue;
    }
    return -1;
  }
  return 1;
}

int ReadAll(int fd, char* buf, std::size_t len, Clock::time_point deadline) {
  std::size_t off = 0;
  while (off < len) {
    pollfd p{fd, POLLIN, 0};
    int left = MsLeft(deadline);
    if (left == 0) return 0;
    int pr = ::poll(&p, 1, left);
    if (pr == 0) return 0;
    if (pr < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    ssize_t n = ::recv(fd, buf + off, len - off, MSG_DONTWAIT);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
    } else if (n == 0) {
      return -1;
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      return -1;
    }
  }
  return 1;
}

ScoreReply TimedOut() {
  ScoreReply r;
  r.timed_out = true;
  return r;
}

void PutU32(std::string& s, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
}

}  // namespace

ScoringChannel::~ScoringChannel() { CloseIdle(); }

void ScoringChannel::CloseIdle() {
  std::lock_guard<std::mutex> lock(mu_);
  for (int fd : idle_) ::close(fd);
  idle_.clear();
}

StatusOr<int> ScoringChannel::Borrow(bool& reused) {
  reused = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      reused = true;
      int fd = idle_.back();
      idle_.pop_back();
      return fd;
    }
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) return Gone("socket path too long: " + path_);
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Gone(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd);
    return Gone(std::string("connect: ") + std::strerror(e));
  }
  return fd;
}

void ScoringChannel::Return(int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(fd);
}

StatusOr<ScoreReply> ScoringChannel::Call(char kind, const std::string& request_id,
                                          const std::string& body, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string id = request_id.substr(0, 256);
  std::string frame;
  frame.reserve(body.size() + id.size() + 7);
  PutU32(frame, static_cast<std::uint32_t>(1 + 2 + id.size() + body.size()));
  frame.push_back(kind);
  frame.push_back(static_cast<char>((id.size() >> 8) & 0xff));
  frame.push_back(static_cast<char>(id.size() & 0xff));
  frame += id;
  frame += body;
  // A pooled connection may have been closed by a restarted instance: one retry on a new one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = false;
    ASSIGN_OR_RETURN(int fd, Borrow(reused));
    int w = WriteAll(fd, frame, deadline);
    if (w == 0) {
      ::close(fd);
      return TimedOut();
    }
    if (w < 0) {
      ::close(fd);
      if (reused) continue;
      return Gone("cannot send to the instance");
    }
    unsigned char head[6];
    int rd = ReadAll(fd, reinterpret_cast<char*>(head), sizeof head, deadline);
    if (rd == 0) {
      ::close(fd);
      return TimedOut();
    }
    if (rd < 0) {
      ::close(fd);
      // A reused connection that the instance had closed: retry once on a fresh one. A fresh
      // connection that breaks means the instance died inside the exchange.
      if (reused) continue;
      return Gone("the instance closed the connection");
    }
    std::uint32_t len = (std::uint32_t{head[0]} << 24) | (std::uint32_t{head[1]} << 16) |
                        (std::uint32_t{head[2]} << 8) | head[3];
    if (len < 2 || len > kMaxReply) {
      ::close(fd);
      return Gone("malformed reply frame");
    }
    ScoreReply r;
    r.status = (head[4] << 8) | head[5];
    r.body.resize(len - 2);
    rd = ReadAll(fd, r.body.data(), r.body.size(), deadline);
    if (rd <= 0) {
      ::close(fd);
      if (rd == 0) {
        return TimedOut();
      }
      return Gone("the instance closed the connection");
    }
    Return(fd);
    return r;
  }
  return Gone("the instance closed the connection");
}

}  // namespace mlws::serving
