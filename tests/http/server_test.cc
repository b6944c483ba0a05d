// HttpServer over real loopback sockets: admission runs before the body is read, refused
// bodies are never read, Stop() closes idle connections.
#include "mlws/http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>

namespace mlws::http {
namespace {

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

void Send(int fd, const std::string& s) {
  ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
}

// Reads until the end of the response headers, or until closed.
std::string ReadHead(int fd) {
  std::string out;
  char buf[4096];
  while (out.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Route r;
    r.method = "POST";
    r.pattern = "/upload";
    r.action = "x";
    r.handler = [this](Request& req) {
      ++handled_;
      body_size_ = req.body.size();
      return TextResponse("ok");
    };
    r.admit = [this](Request& req) -> std::optional<Response> {
      ++admitted_;
      if (req.Header("x-deny")) {
        Response no = ErrorResponse(Status(ErrorCode::kUnauthenticated, "no"));
        return no;
      }
      return std::nullopt;
    };
    router_.Add(std::move(r));
    ServerOptions opt;
    opt.port = 0;
    opt.staging_dir = ::testing::TempDir();
    server_ = std::make_unique<HttpServer>(opt, router_);
    ASSERT_TRUE(server_->Start().ok());
  }

  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<int> admitted_{0};
  std::atomic<int> handled_{0};
  std::atomic<size_t> body_size_{0};
};

TEST_F(ServerTest, RefusedRequestIsAnsweredWithoutReadingItsBody) {
  int fd = Connect(server_->port());
  Send(fd, "POST /upload HTTP/1.1\r\nHost: x\r\nX-Deny: 1\r\nContent-Length: 100000000\r\n\r\n");
  std::string head = ReadHead(fd);
  EXPECT_EQ(head.rfind("HTTP/1.1 401", 0), 0u) << head;
  EXPECT_NE(head.find("Connection: close"), std::string::npos) << head;
  EXPECT_EQ(admitted_.load(), 1);
  EXPECT_EQ(handled_.load(), 0);
  ::close(fd);
}

TEST_F(ServerTest, AdmittedRequestGetsItsBody) {
  int fd = Connect(server_->port());
  std::string body(300000, 'b');  // larger than what arrives with the header
  Send(fd, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n\r\n");
  Send(fd, body);
  std::string head = ReadHead(fd);
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_EQ(handled_.load(), 1);
  EXPECT_EQ(body_size_.load(), body.size());
  EXPECT_NE(head.find("X-Frame-Options: DENY"), std::string::npos) << head;
  ::close(fd);
}

TEST_F(ServerTest, StopClosesIdleConnections) {
  int fd = Connect(server_->port());
  Send(fd, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(ReadHead(fd).rfind("HTTP/1.1 200", 0), 0u);
  auto t0 = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  char c;
  EXPECT_LE(::recv(fd, &c, 1, 0), 0);  // closed by the server
  ::close(fd);
}

}  // namespace
}  // namespace mlws::http
