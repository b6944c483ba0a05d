// The Unix socket channel to a scoring instance (see include/mlws/serving/scoring_channel.h).
#include "mlws/serving/scoring_channel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
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

// 1 = done, 0 = timed out, -1 = error/closed. Sends `head` then `body` with one sendmsg (the
// body is not copied into a frame).
int WriteAll(int fd, const std::string& head, const std::string& body, Clock::time_point deadline) {
  std::size_t off = 0;
  const std::size_t total = head.size() + body.size();
  while (off < total) {
    iovec iov[2];
    int n_iov = 0;
    if (off < head.size()) {
      iov[n_iov++] = {const_cast<char*>(head.data()) + off, head.size() - off};
      iov[n_iov++] = {const_cast<char*>(body.data()), body.size()};
    } else {
      iov[n_iov++] = {const_cast<char*>(body.data()) + (off - head.size()), total - off};
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<std::size_t>(n_iov);
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
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

// Reads one reply frame into `r`: 1 = done, 0 = timed out, -1 = error/closed, -2 = malformed.
// The first recv after the wait usually brings the whole frame (one poll, one recv); the
// instance sends nothing beyond it, and reads stop at the frame's end once its length is known.
int ReadReply(int fd, ScoreReply& r, Clock::time_point deadline) {
  constexpr std::size_t kHead = 6;
  std::string& buf = r.body;
  buf.resize(4096);
  std::size_t have = 0;
  std::size_t want = 0;  // whole frame, known once the head arrived
  while (want == 0 || have < want) {
    pollfd p{fd, POLLIN, 0};
    int left = MsLeft(deadline);
    if (left == 0) return 0;
    int pr = ::poll(&p, 1, left);
    if (pr == 0) return 0;
    if (pr < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    std::size_t room = (want == 0 ? buf.size() : want) - have;
    ssize_t n = ::recv(fd, buf.data() + have, room, MSG_DONTWAIT);
    if (n == 0) return -1;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return -1;
    }
    have += static_cast<std::size_t>(n);
    if (want == 0 && have >= kHead) {
      const auto* h = reinterpret_cast<const unsigned char*>(buf.data());
      std::uint32_t len = (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) |
                          (std::uint32_t{h[2]} << 8) | h[3];
      if (len < 2 || len > kMaxReply) return -2;
      r.status = (h[4] << 8) | h[5];
      want = 4 + static_cast<std::size_t>(len);
      if (have > want) return -2;  // bytes beyond the frame: not this protocol
      if (buf.size() < want) buf.resize(want);
    }
  }
  buf.erase(0, kHead);
  buf.resize(want - kHead);
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
  // A path longer than sun_path (a deep --home) is reached through its folder's descriptor:
  // /proc/self/fd/<fd>/<name> is short whatever the folder's path.
  int folder = -1;
  std::string path = path_;
  if (path.size() >= sizeof addr.sun_path) {
    auto slash = path_.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash);
    folder = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (folder < 0) return Gone("open " + dir + ": " + std::strerror(errno));
    path = "/proc/self/fd/" + std::to_string(folder) + "/" + path_.substr(slash + 1);
  }
  if (path.size() >= sizeof addr.sun_path) {
    if (folder >= 0) ::close(folder);
    return Gone("socket name too long: " + path_);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int e = errno;
  bool connected = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  if (!connected && fd >= 0) e = errno;
  if (folder >= 0) ::close(folder);
  if (fd < 0) return Gone(std::string("socket: ") + std::strerror(e));
  if (!connected) {
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
  std::string head;
  head.reserve(id.size() + 7);
  PutU32(head, static_cast<std::uint32_t>(1 + 2 + id.size() + body.size()));
  head.push_back(kind);
  head.push_back(static_cast<char>((id.size() >> 8) & 0xff));
  head.push_back(static_cast<char>(id.size() & 0xff));
  head += id;
  // A pooled connection may have been closed by a restarted instance: one retry on a new one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = false;
    ASSIGN_OR_RETURN(int fd, Borrow(reused));
    int w = WriteAll(fd, head, body, deadline);
    if (w == 0) {
      ::close(fd);
      return TimedOut();
    }
    if (w < 0) {
      ::close(fd);
      if (reused) continue;
      return Gone("cannot send to the instance");
    }
    ScoreReply r;
    int rd = ReadReply(fd, r, deadline);
    if (rd == 1) {
      Return(fd);
      return r;
    }
    ::close(fd);
    if (rd == 0) return TimedOut();
    if (rd == -2) return Gone("malformed reply frame");
    // A reused connection that the instance had closed before answering: retry once on a fresh
    // one. A fresh connection that breaks means the instance died inside the exchange.
    if (reused && r.status == 0) continue;
    return Gone("the instance closed the connection");
  }
  return Gone("the instance closed the connection");
}

}  // namespace mlws::serving
