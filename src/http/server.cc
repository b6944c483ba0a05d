// The only translation unit that includes Boost.Beast.
#include "mlws/http/server.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "mlws/common/ids.h"

namespace mlws::http {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct HttpServer::Impl {
  ServerOptions opt;
  const Router& router;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread accept_thread;
  std::atomic<bool> stopping{false};
  int bound_port = 0;

  struct Conn {
    int fd = -1;
    std::atomic<bool> busy{false};
  };
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<Conn*, std::shared_ptr<Conn>> conns;  // guarded by mu
  int live_threads = 0;                                    // guarded by mu

  Impl(ServerOptions o, const Router& r) : opt(std::move(o)), router(r) {}

  void AcceptLoop();
  std::unique_ptr<asio::ssl::context> tls;  // set when --tls-cert/--tls-key are given

  // Runs one connection: a TLS handshake first when TLS is on, then the request loop.
  void Serve(tcp::socket sock, std::shared_ptr<Conn> conn);
  template <class Stream>
  void ServeStream(Stream& stream, tcp::socket& raw, Conn& conn);
};

namespace {

void SetTimeouts(int fd, int seconds) {
  timeval tv{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

Status FillRequest(const bhttp::request_header<>& h, Request& req) {
  req.method = std::string(h.method_string());
  std::string_view target(h.target().data(), h.target().size());
  size_t q = target.find('?');
  auto path = PercentDecode(target.substr(0, q), false);
  if (!path) return BadRequest("malformed percent-encoding in the request path");
  req.path = std::move(*path);
  if (q != std::string_view::npos) {
    req.query_string = std::string(target.substr(q + 1));
    RETURN_IF_ERROR(ParseQueryString(req.query_string, req.query));
  }
  for (const auto& f : h) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  return Status::Ok();
}

template <class Sock>
bool WriteResponse(Sock& sock, Response&& r, bool keep_alive, bool head_only) {
  beast::error_code ec;
  if (!r.file_path.empty() && !head_only) {
    bhttp::response<bhttp::file_body> res;
    res.result(r.status);
    res.version(11);
    res.set(bhttp::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res.set(k, v);
    res.body().open(r.file_path.c_str(), beast::file_mode::scan, ec);
    if (ec) return false;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    bhttp::write(sock, res, ec);
    return !ec;
  }
  bhttp::response<bhttp::string_body> res;
  res.result(r.status);
  res.version(11);
  res.set(bhttp::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.keep_alive(keep_alive);
  if (head_only) {
    // HEAD: the headers a GET would send, Content-Length included, and no body.
    res.content_length(r.file_path.empty() ? r.body.size() : static_cast<size_t>(r.file_size));
    bhttp::response_serializer<bhttp::string_body> sr{res};
    bhttp::write_header(sock, sr, ec);
    return !ec;
  }
  res.body() = std::move(r.body);
  res.prepare_payload();
  bhttp::write(sock, res, ec);
  return !ec;
}

}  // namespace

void HttpServer::Impl::AcceptLoop() {
  for (;;) {
    beast::error_code ec;
    tcp::socket sock(ioc);
    acceptor.accept(sock, ec);
    if (stopping) return;
    if (ec) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    auto conn = std::make_shared<Conn>();
    conn->fd = sock.native_handle();
    {
      std::lock_guard<std::mutex> lock(mu);
      if (static_cast<int>(conns.size()) >= opt.max_connections) {
        Response busy =
            ErrorResponse(Status(ErrorCode::kTemporarilyUnavailable, "too many open connections"));
        WriteResponse(sock, std::move(busy), false, false);
        continue;
      }
      conns[conn.get()] = conn;
      ++live_threads;
    }
    std::thread([this, s = std::move(sock), conn]() mutable {
      Serve(std::move(s), conn);
      std::lock_guard<std::mutex> lock(mu);
      conns.erase(conn.get());
      --live_threads;
      cv.notify_all();
    }).detach();
  }
}

void HttpServer::Impl::Serve(tcp::socket sock, std::shared_ptr<Conn> conn) {
  SetTimeouts(sock.native_handle(), opt.idle_timeout_seconds);
  beast::error_code ec;
  sock.set_option(tcp::no_delay(true), ec);
  if (!tls) {
    ServeStream(sock, sock, *conn);
    sock.shutdown(tcp::socket::shutdown_both, ec);
    return;
  }
  asio::ssl::stream<tcp::socket> stream(std::move(sock), *tls);
  stream.handshake(asio::ssl::stream_base::server, ec);
  if (ec) {
    spdlog::debug("TLS handshake failed: {}", ec.message());
    return;
  }
  ServeStream(stream, stream.next_layer(), *conn);
  stream.shutdown(ec);
  stream.next_layer().shutdown(tcp::socket::shutdown_both, ec);
}

template <class Stream>
void HttpServer::Impl::ServeStream(Stream& sock, tcp::socket& raw, Conn& conn_ref) {
  Conn* conn = &conn_ref;
  std::string remote;
  {
    beast::error_code ec;
    auto ep = raw.remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string();
  }
  beast::flat_buffer buf;
  while (!stopping) {
    beast::error_code ec;
    bhttp::request_parser<bhttp::empty_body> hp;
    hp.header_limit(64 * 1024);
    hp.body_limit(std::numeric_limits<std::uint64_t>::max());
    bhttp::read_header(sock, buf, hp, ec);
    if (ec) {  // closed, timed out, malformed header or shut down by Stop()
      if (ec != bhttp::error::end_of_stream)
        spdlog::debug("reading a request header: {}", ec.message());
      return;
    }
    conn->busy = true;
    auto start = std::chrono::steady_clock::now();
    Request req;
    req.remote_addr = remote;
    Response resp;
    bool keep_alive = hp.get().keep_alive();
    Status parsed = FillRequest(hp.get(), req);
    Match m;
    if (parsed.ok()) m = router.Resolve(req);
    const Route* route = m.route;
    if (route != nullptr) req.route = route->pattern;
    bool staged = false;

    if (hp.get()[bhttp::field::expect] == "100-continue") {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
      bhttp::write(sock, cont, ec);
    }
    if (route != nullptr && route->streams_body) {
      bhttp::request_parser<bhttp::file_body> fp(std::move(hp));
      fp.body_limit(opt.max_upload_bytes);
      std::string tmp = opt.staging_dir + "/" + NewRunId();
      fp.get().body().open(tmp.c_str(), beast::file_mode::write, ec);
      if (!ec) bhttp::read(sock, buf, fp, ec);
      if (ec) {
        std::error_code rm;
        std::filesystem::remove(tmp, rm);
        conn->busy = false;
        if (ec == bhttp::error::body_limit) {
          Response r = ErrorResponse(
              Status(ErrorCode::kPayloadTooLarge, "upload larger than the server limit"));
          if (opt.on_request) opt.on_request(req, r, 0);
          WriteResponse(sock, std::move(r), false, false);
        }
        return;
      }
      fp.get().body().close();
      {
        int fd = ::open(tmp.c_str(), O_RDONLY);
        if (fd >= 0) {
          ::fsync(fd);
          ::close(fd);
        }
      }
      req.body_file = tmp;
      std::error_code sz;
      req.body_size = static_cast<std::int64_t>(std::filesystem::file_size(tmp, sz));
      staged = true;
    } else {
      std::size_t limit = route != nullptr && route->max_body_bytes > 0 ? route->max_body_bytes
                                                                        : opt.max_body_bytes;
      auto too_large = [&] {
        Response r = ErrorResponse(
            Status(ErrorCode::kPayloadTooLarge,
                   "request body larger than the limit of " + std::to_string(limit) + " bytes"));
        if (opt.on_request) opt.on_request(req, r, 0);
        WriteResponse(sock, std::move(r), false, false);
        conn->busy = false;
      };
      auto declared = hp.content_length();
      if (declared && *declared > limit) return too_large();
      bhttp::request_parser<bhttp::string_body> sp(std::move(hp));
      sp.body_limit(limit);
      bhttp::read(sock, buf, sp, ec);
      if (ec) {
        spdlog::debug("reading a request body failed: {}", ec.message());
        if (ec == bhttp::error::body_limit) return too_large();
        conn->busy = false;
        return;
      }
      req.body = std::move(sp.get().body());
      req.body_size = static_cast<std::int64_t>(req.body.size());
    }

    if (!parsed.ok()) {
      resp = ErrorResponse(parsed);
    } else if (route == nullptr) {
      resp = m.path_known
                 ? ErrorResponse(Status(ErrorCode::kBadRequest,
                                        "method " + req.method + " not allowed on " + req.path))
                 : ErrorResponse(Status(ErrorCode::kEndpointNotFound,
                                        "no API endpoint at " + req.method + " " + req.path));
      if (m.path_known) resp.status = 405;
    } else {
      try {
        resp = route->handler(req);
      } catch (const std::exception& e) {
        // Handlers return Status; an exception here is a bug, reported without killing the server.
        resp = ErrorResponse(Internal(std::string("unexpected error: ") + e.what()));
      }
    }
    if (staged) {
      std::error_code rm;
      std::filesystem::remove(req.body_file, rm);  // no-op when the handler moved it
    }
    bool ok = WriteResponse(sock, std::move(resp), keep_alive && !stopping, req.method == "HEAD");
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (opt.on_request) opt.on_request(req, resp, ms);
    conn->busy = false;
    if (!ok || !keep_alive) break;
  }
}

HttpServer::HttpServer(ServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  beast::error_code ec;
  if (!impl_->opt.tls_cert.empty() || !impl_->opt.tls_key.empty()) {
    if (impl_->opt.tls_cert.empty() || impl_->opt.tls_key.empty()) {
      return InvalidArgument("TLS needs both --tls-cert and --tls-key");
    }
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    ctx->use_certificate_chain_file(impl_->opt.tls_cert, ec);
    if (ec)
      return InvalidArgument("cannot load --tls-cert " + impl_->opt.tls_cert + ": " + ec.message());
    ctx->use_private_key_file(impl_->opt.tls_key, asio::ssl::context::pem, ec);
    if (ec)
      return InvalidArgument("cannot load --tls-key " + impl_->opt.tls_key + ": " + ec.message());
    impl_->tls = std::move(ctx);
  }
  auto addr = asio::ip::make_address(impl_->opt.host, ec);
  if (ec) return InvalidArgument("invalid --host '" + impl_->opt.host + "': " + ec.message());
  tcp::endpoint ep(addr, static_cast<unsigned short>(impl_->opt.port));
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(1024, ec);
  if (ec) {
    return Status(ErrorCode::kTemporarilyUnavailable, "cannot listen on " + impl_->opt.host + ":" +
                                                          std::to_string(impl_->opt.port) + ": " +
                                                          ec.message());
  }
  impl_->bound_port = acc.local_endpoint().port();
  impl_->accept_thread = std::thread([this] { impl_->AcceptLoop(); });
  return Status::Ok();
}

int HttpServer::port() const { return impl_->bound_port; }

void HttpServer::Stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  if (impl_->acceptor.is_open()) ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  beast::error_code ec;
  impl_->acceptor.close(ec);
  std::unique_lock<std::mutex> lock(impl_->mu);
  // Idle keep-alive connections are closed now; busy ones finish their request first.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (impl_->live_threads > 0) {
    for (auto& [ptr, c] : impl_->conns) {
      if (!c->busy) ::shutdown(c->fd, SHUT_RD);
    }
    if (impl_->cv.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() +
                                                          std::chrono::milliseconds(50))) ==
            std::cv_status::timeout &&
        std::chrono::steady_clock::now() >= deadline) {
      break;
    }
  }
}

}  // namespace mlws::http
