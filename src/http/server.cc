// The only translation units that include Boost.Beast: this file and session.h.
#include "mlws/http/server.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <future>
#include <iterator>
#include <thread>
#include <vector>

#include "http/session.h"
#include "mlws/common/ids.h"

namespace mlws::http {

using namespace internal;  // NOLINT: the Beast aliases and the session types

namespace internal {

void Core::MarkIdle(SessionBase* s, bool idle_now) {
  std::lock_guard<std::mutex> lock(mu);
  if (idle_now == s->in_idle) return;
  if (idle_now) {
    s->idle_pos = idle.insert(idle.end(), s->weak_from_this());
  } else {
    idle.erase(s->idle_pos);
  }
  s->in_idle = idle_now;
}

SessionBase::~SessionBase() {
  {
    std::lock_guard<std::mutex> lock(core_.mu);
    if (in_idle) core_.idle.erase(idle_pos);
    core_.all.erase(all_pos);
    --core_.open;
    auto it = core_.per_address.find(remote_);
    if (it != core_.per_address.end() && --it->second <= 0) core_.per_address.erase(it);
  }
  core_.closed_cv.notify_all();
}

Status FillRequest(const bhttp::request_header<>& h, Request& req) {
  req.method = std::string(h.method_string());
  std::string_view target(h.target().data(), h.target().size());
  req.raw_target = std::string(target);
  size_t q = target.find('?');
  auto path = PercentDecode(target.substr(0, q), false);
  if (!path) return BadRequest("malformed percent-encoding in the request path");
  req.path = std::move(*path);
  if (q != std::string_view::npos) {
    req.query_string = std::string(target.substr(q + 1));
    RETURN_IF_ERROR(ParseQueryString(req.query_string, req.query));
  }
  req.headers.reserve(static_cast<std::size_t>(std::distance(h.begin(), h.end())));
  for (const auto& f : h) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  return Status::Ok();
}

Response BusyResponse() {
  // ErrorResponse adds Retry-After to every 503.
  return ErrorResponse(Status(ErrorCode::kTemporarilyUnavailable,
                              "the server is busy: too many requests in flight; retry"));
}

Response TooLargeResponse(std::size_t limit) {
  return ErrorResponse(
      Status(ErrorCode::kPayloadTooLarge,
             "request body larger than the limit of " + std::to_string(limit) + " bytes"));
}

Response TimeoutResponse(const std::string& what) {
  Response r = ErrorResponse(Status(ErrorCode::kBadRequest, what));
  r.status = 408;
  return r;
}

std::string StagingName() { return NewRunId(); }

}  // namespace internal

namespace {
using PlainSession = Session<beast::tcp_stream>;
using TlsSession = Session<beast::ssl_stream<beast::tcp_stream>>;

// Modern suites only: ECDHE key exchange with AEAD ciphers for TLS 1.2; TLS 1.3's own suites
// are all AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Raises the open-file limit to the hard limit and keeps the connection cap below it (with room
// for the store, staged uploads and jobs' files), so the cap, not EMFILE, decides.
void FitFileLimit(ServerOptions& opt) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur == RLIM_INFINITY) return;
  long room = static_cast<long>(rl.rlim_cur) - 512;
  if (room < 64) room = 64;
  if (opt.max_connections > room) {
    spdlog::info("--max-connections {} is above what the open-file limit ({}) allows: using {}",
                 opt.max_connections, static_cast<long>(rl.rlim_cur), room);
    opt.max_connections = static_cast<int>(room);
  }
}
}  // namespace

struct HttpServer::Impl {
  Impl(ServerOptions o, const Router& r) : core(std::move(o), r) {}

  Core core;
  int bound_port = 0;
  bool started = false;
  std::vector<std::thread> io_threads;
  // Declared last: destroyed first, with the handlers (and sessions) still queued in it.
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> retry_timer;

  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket sock);
  // At a cap: refuse, on plain HTTP with a best-effort 503 that never blocks.
  void Refuse(tcp::socket& sock);
};

void HttpServer::Impl::DoAccept() {
  acceptor->async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket sock) {
    OnAccept(ec, std::move(sock));
  });
}

void HttpServer::Impl::Refuse(tcp::socket& sock) {
  ++core.connections_refused;
  beast::error_code ec;
  if (!core.tls) {
    static const std::string kBody =
        R"({"error_code":"TEMPORARILY_UNAVAILABLE","message":"too many open connections"})";
    static const std::string kMsg =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: "
        "1\r\nConnection: close\r\nContent-Length: " +
        std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
    sock.non_blocking(true, ec);
    sock.write_some(asio::buffer(kMsg), ec);
  }
  sock.shutdown(tcp::socket::shutdown_both, ec);
  sock.close(ec);
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket sock) {
  if (core.stopping) return;
  if (ec) {
    if (ec == asio::error::operation_aborted) return;
    // Out of file descriptors or a passing error: pause instead of spinning.
    retry_timer->expires_after(std::chrono::milliseconds(50));
    retry_timer->async_wait([this](beast::error_code) {
      if (!core.stopping) DoAccept();
    });
    return;
  }
  beast::error_code ep_ec;
  auto ep = sock.remote_endpoint(ep_ec);
  std::string remote = ep_ec ? std::string() : ep.address().to_string();
  sock.set_option(tcp::no_delay(true), ep_ec);
  std::vector<std::shared_ptr<SessionBase>> evict;
  bool admit = true;
  {
    std::lock_guard<std::mutex> lock(core.mu);
    auto per = core.per_address.find(remote);
    if (per != core.per_address.end() && per->second >= core.opt.max_connections_per_address) {
      admit = false;
    } else if (core.open >= core.opt.max_connections) {
      // Make room by closing the connection that has been idle longest.
      // (An entry that no longer locks belongs to a session being destroyed: it removes
      // its own entry.)
      for (auto it = core.idle.begin(); it != core.idle.end(); ++it) {
        if (auto s = it->lock()) {
          core.idle.erase(it);
          s->in_idle = false;
          evict.push_back(std::move(s));
          break;
        }
      }
      admit = !evict.empty();
    }
    if (admit) {
      ++core.open;
      ++core.per_address[remote];
    }
  }
  for (auto& s : evict) {
    ++core.idle_evictions;
    s->PostAbortIfIdle();
  }
  evict.clear();  // outside the lock: a session's destructor takes it
  if (!admit) {
    Refuse(sock);
    return DoAccept();
  }
  std::shared_ptr<SessionBase> session;
  if (core.tls) {
    session = std::make_shared<TlsSession>(core, remote, std::move(sock), *core.tls);
  } else {
    session = std::make_shared<PlainSession>(core, remote, std::move(sock));
  }
  {
    std::lock_guard<std::mutex> lock(core.mu);
    session->all_pos = core.all.insert(core.all.end(), session);
  }
  session->Launch();
  DoAccept();
}

HttpServer::HttpServer(ServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  beast::error_code ec;
  ServerOptions& opt = impl_->core.opt;
  if (!opt.tls_cert.empty() || !opt.tls_key.empty()) {
    if (opt.tls_cert.empty() || opt.tls_key.empty()) {
      return InvalidArgument("TLS needs both --tls-cert and --tls-key");
    }
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
      return Internal("the TLS library accepts none of the configured cipher suites");
    }
    ctx->use_certificate_chain_file(opt.tls_cert, ec);
    if (ec) return InvalidArgument("cannot load --tls-cert " + opt.tls_cert + ": " + ec.message());
    ctx->use_private_key_file(opt.tls_key, asio::ssl::context::pem, ec);
    if (ec) return InvalidArgument("cannot load --tls-key " + opt.tls_key + ": " + ec.message());
    impl_->core.tls = std::move(ctx);
  }
  auto addr = asio::ip::make_address(opt.host, ec);
  if (ec) return InvalidArgument("invalid --host '" + opt.host + "': " + ec.message());
  FitFileLimit(opt);
  tcp::endpoint ep(addr, static_cast<unsigned short>(opt.port));
  impl_->acceptor.emplace(asio::make_strand(impl_->ioc));
  auto& acc = *impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(4096, ec);
  if (ec) {
    return Status(
        ErrorCode::kTemporarilyUnavailable,
        "cannot listen on " + opt.host + ":" + std::to_string(opt.port) + ": " + ec.message());
  }
  impl_->bound_port = acc.local_endpoint().port();
  impl_->core.pool = std::make_unique<WorkerPool>(opt.worker_threads, opt.worker_queue);
  impl_->retry_timer.emplace(acc.get_executor());
  impl_->work.emplace(impl_->ioc.get_executor());
  asio::dispatch(acc.get_executor(), [this] { impl_->DoAccept(); });
  int n = opt.io_threads > 0 ? opt.io_threads : 1;
  for (int i = 0; i < n; ++i) impl_->io_threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->started = true;
  return Status::Ok();
}

int HttpServer::port() const { return impl_->bound_port; }

ServerStats HttpServer::Stats() const {
  ServerStats s;
  Core& core = impl_->core;
  {
    std::lock_guard<std::mutex> lock(core.mu);
    s.open_connections = core.open;
    s.idle_connections = static_cast<int>(core.idle.size());
  }
  if (core.pool) {
    WorkerPoolStats p = core.pool->Stats();
    s.worker_threads = p.threads;
    s.worker_queue_capacity = p.capacity;
    s.worker_queue_depth = p.queued;
    s.workers_busy = p.busy;
  }
  s.busy_rejections = core.busy_rejections;
  s.connections_refused = core.connections_refused;
  s.idle_evictions = core.idle_evictions;
  s.timeouts = core.timeouts;
  return s;
}

void HttpServer::Stop() {
  if (!impl_ || impl_->core.stopping.exchange(true)) return;
  if (!impl_->started) return;
  Core& core = impl_->core;
  {
    std::promise<void> closed;
    asio::post(impl_->acceptor->get_executor(), [this, &closed] {
      beast::error_code ec;
      impl_->acceptor->close(ec);
      impl_->retry_timer->cancel();
      closed.set_value();
    });
    closed.get_future().wait();
  }
  // Idle connections are closed now; busy ones finish their request first (then close).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    std::vector<std::shared_ptr<SessionBase>> live;
    {
      std::unique_lock<std::mutex> lock(core.mu);
      if (core.open == 0 || std::chrono::steady_clock::now() >= deadline) break;
      for (auto& w : core.all) {
        if (auto s = w.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->PostAbortIfIdle();
    live.clear();
    std::unique_lock<std::mutex> lock(core.mu);
    core.closed_cv.wait_for(lock, std::chrono::milliseconds(50));
  }
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->io_threads) {
    if (t.joinable()) t.join();
  }
  core.pool->Stop();
}

}  // namespace mlws::http
