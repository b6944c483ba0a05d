// Starts S3Proxy (scripts/s3proxy.sh) once per test process, on a free port below 32768 with a
// bucket "mlws-test" and the script's fixed test key, and stops it at exit. Tests that need it
// call S3ProxyEndpoint() and skip, saying why, when java or the jar is absent.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "mlws/common/ids.h"

namespace mlws::testing {

inline constexpr const char* kS3ProxyBucket = "mlws-test";
inline constexpr const char* kS3ProxyKey = "mlws-test-key";
inline constexpr const char* kS3ProxySecret = "mlws-test-secret";

namespace s3proxy_detail {

// Binds (to see whether the port is free) or connects (to see whether a server listens).
inline bool TryPort(int port, bool connect) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto* sa = reinterpret_cast<sockaddr*>(&a);
  bool ok = (connect ? ::connect(fd, sa, sizeof a) : ::bind(fd, sa, sizeof a)) == 0;
  ::close(fd);
  return ok;
}

struct Proxy {
  pid_t pid = -1;
  std::string dir;
  std::string endpoint;
  std::string why_not;
  ~Proxy() {
    if (pid > 0) {
      ::kill(-pid, SIGTERM);
      int st = 0;
      ::waitpid(pid, &st, 0);
    }
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

inline std::string Script() { return std::string(MLWS_SOURCE_DIR) + "/scripts/s3proxy.sh"; }

inline void Start(Proxy& p) {
  if (std::system(("bash " + Script() + " jar >/dev/null 2>&1").c_str()) != 0) {
    p.why_not = "S3Proxy is not installed (java or the jar is missing: run make deps)";
    return;
  }
  std::mt19937 rng(std::random_device{}());
  int port = 0;
  for (int i = 0; i < 500 && port == 0; ++i) {
    int cand = 20000 + static_cast<int>(rng() % 12768);
    if (TryPort(cand, false)) port = cand;
  }
  if (port == 0) {
    p.why_not = "no free port below 32768 for S3Proxy";
    return;
  }
  p.dir = (std::filesystem::temp_directory_path() / ("mlws-s3proxy-" + NewRunId())).string();
  std::filesystem::create_directories(p.dir);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    std::string log = p.dir + "/s3proxy.log";
    if (std::freopen(log.c_str(), "w", stdout) == nullptr ||
        std::freopen(log.c_str(), "a", stderr) == nullptr) {
      ::_exit(126);
    }
    std::string script = Script(), ports = std::to_string(port);
    ::execlp("bash", "bash", script.c_str(), "run", p.dir.c_str(), ports.c_str(), kS3ProxyBucket,
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  p.pid = pid;
  // Ready when the port accepts connections (the JVM takes seconds on a busy machine).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::chrono::steady_clock::now() < deadline) {
    if (TryPort(port, true)) {
      p.endpoint = "http://127.0.0.1:" + std::to_string(port);
      return;
    }
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) {
      p.pid = -1;
      p.why_not = "S3Proxy exited at start; see its log in " + p.dir;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  p.why_not = "S3Proxy did not accept connections within 90 s";
}

}  // namespace s3proxy_detail

// "http://127.0.0.1:<port>" once the server accepts connections, or "" with `why_not` set.
inline std::string S3ProxyEndpoint(std::string* why_not) {
  using namespace s3proxy_detail;
  static Proxy proxy;
  static std::once_flag once;
  std::call_once(once, [] { Start(proxy); });
  if (why_not != nullptr) *why_not = proxy.why_not;
  return proxy.endpoint;
}

}  // namespace mlws::testing
