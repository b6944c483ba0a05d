// Internal to src/http: the state the server's connections share (Core) and one connection's
// state machine (Session), a template over the plain and the TLS stream. Every handler of a
// Session runs on that connection's strand; admission hooks and route handlers run on the
// worker pool and post their result back to the strand.
#pragma once

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "mlws/http/server.h"
#include "mlws/http/wire_rules.h"
#include "mlws/http/worker_pool.h"

namespace mlws::http::internal {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class SessionBase;
using SessionList = std::list<std::weak_ptr<SessionBase>>;

struct Core {
  Core(ServerOptions o, const Router& r) : opt(std::move(o)), router(r) {}

  ServerOptions opt;
  const Router& router;
  std::unique_ptr<asio::ssl::context> tls;  // set when --tls-cert/--tls-key are given
  std::unique_ptr<WorkerPool> pool;
  std::atomic<bool> stopping{false};

  std::mutex mu;
  std::condition_variable closed_cv;                 // signalled when a connection ends
  int open = 0;                                      // guarded by mu
  std::unordered_map<std::string, int> per_address;  // guarded by mu
  SessionList all;                                   // guarded by mu
  SessionList idle;                                  // guarded by mu; oldest first

  std::atomic<std::uint64_t> busy_rejections{0};
  std::atomic<std::uint64_t> connections_refused{0};
  std::atomic<std::uint64_t> idle_evictions{0};
  std::atomic<std::uint64_t> timeouts{0};

  // Called by a session when it starts or stops waiting for a request's first byte.
  void MarkIdle(SessionBase* s, bool idle_now);
};

class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  SessionBase(Core& core, std::string remote) : core_(core), remote_(std::move(remote)) {}
  virtual ~SessionBase();
  SessionBase(const SessionBase&) = delete;
  SessionBase& operator=(const SessionBase&) = delete;

  // Starts the session on its strand.
  virtual void Launch() = 0;
  // Closes the connection if it is waiting for a request (from any thread).
  virtual void PostAbortIfIdle() = 0;

  const std::string& remote() const { return remote_; }

  // Registry bookkeeping (guarded by core_.mu).
  bool in_idle = false;
  SessionList::iterator idle_pos;
  SessionList::iterator all_pos;

 protected:
  Core& core_;
  const std::string remote_;
};

// Fills method, path, query and headers from a parsed header.
Status FillRequest(const bhttp::request_header<>& h, Request& req);
Response BusyResponse();
Response TooLargeResponse(std::size_t limit);
Response TimeoutResponse(const std::string& what);
// A parse error of Beast's HTTP parser (as opposed to a socket or TLS error).
inline bool IsHttpError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category();
}

template <class Stream>
class Session : public SessionBase {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <class... Args>
  Session(Core& core, std::string remote, Args&&... args)
      : SessionBase(core, std::move(remote)), stream_(std::forward<Args>(args)...) {}

  void Launch() override {
    asio::dispatch(stream_.get_executor(), [self = Self()] { self->Start(); });
  }

  void PostAbortIfIdle() override {
    asio::post(stream_.get_executor(), [self = Self()] {
      if (self->upstream_) return self->CloseTunnel();  // a lab's WebSocket ends at stop
      if (!self->waiting_) return;
      beast::error_code ec;
      self->Lowest().socket().close(ec);  // the pending read completes with operation_aborted
    });
  }

 private:
  using Clock = std::chrono::steady_clock;

  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  static std::chrono::seconds Secs(int s) { return std::chrono::seconds(s > 0 ? s : 1); }

  void Start() {
    if constexpr (kTls) {
      // Nothing is written in plaintext: the handshake comes first, under the header deadline.
      Lowest().expires_after(Secs(core_.opt.header_timeout_seconds));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = Self()](beast::error_code ec) {
                                if (ec) return self->OnReadError(ec);
                                self->WaitRequest(true);
                              });
    } else {
      WaitRequest(true);
    }
  }

  // Waits for the first byte of the next request: header deadline for a new connection, idle
  // deadline between keep-alive requests. The connection counts as idle meanwhile.
  void WaitRequest(bool first) {
    if (core_.stopping) return Shutdown();
    if (buf_.size() > 0) return ReadHeader();               // a pipelined request is already here
    if (buf_.capacity() > 16 * 1024) buf_.shrink_to_fit();  // bounded memory while idle
    waiting_ = true;
    core_.MarkIdle(this, true);
    Lowest().expires_after(
        Secs(first ? core_.opt.header_timeout_seconds : core_.opt.idle_timeout_seconds));
    stream_.async_read_some(buf_.prepare(1024),
                            [self = Self()](beast::error_code ec, std::size_t n) {
                              self->waiting_ = false;
                              self->core_.MarkIdle(self.get(), false);
                              if (ec) return self->OnReadError(ec);
                              self->buf_.commit(n);
                              self->ReadHeader();
                            });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == beast::error::timeout) ++core_.timeouts;
    // Anything else: the client closed, the socket was aborted or the bytes were not TLS.
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(64 * 1024);
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    Lowest().expires_after(Secs(core_.opt.header_timeout_seconds));
    bhttp::async_read_header(
        stream_, buf_, *parser_,
        [self = Self()](beast::error_code ec, std::size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    start_ = Clock::now();
    req_ = Request{};
    req_.remote_addr = remote_;
    req_.tls = kTls;
    if (ec) {
      if (ec == beast::error::timeout) {
        ++core_.timeouts;
        return Reply(TimeoutResponse("the request header did not arrive in time"), true);
      }
      if (!IsHttpError(ec) || ec == bhttp::error::end_of_stream ||
          ec == bhttp::error::partial_message) {
        return;  // the client went away (or the TLS layer failed): nothing to answer
      }
      return Reply(ErrorResponse(BadRequest("malformed HTTP request: " + ec.message())), true);
    }
    const auto& h = parser_->get();
    keep_alive_ = h.keep_alive();
    std::vector<std::string> te;
    for (const auto& f : h) {
      if (f.name() == bhttp::field::transfer_encoding) te.emplace_back(f.value());
    }
    Status framing = CheckFraming(te, h.count(bhttp::field::content_length) > 0);
    if (!framing.ok()) return Reply(ErrorResponse(framing), true);
    has_body_ = parser_->chunked() || parser_->content_length().value_or(0) > 0;
    Status parsed = FillRequest(h, req_);
    head_ = req_.method == "HEAD";
    if (!parsed.ok()) return Reply(ErrorResponse(parsed), has_body_);
    Match m = core_.router.Resolve(req_);
    route_ = m.route;
    if (route_ == nullptr) {
      Response r =
          m.path_known
              ? ErrorResponse(Status(ErrorCode::kBadRequest,
                                     "method " + req_.method + " not allowed on " + req_.path))
              : ErrorResponse(Status(ErrorCode::kEndpointNotFound,
                                     "no API endpoint at " + req_.method + " " + req_.path));
      if (m.path_known) r.status = 405;
      return Reply(std::move(r), has_body_);
    }
    req_.route = route_->pattern;
    if (!route_->admit) return OnAdmitted(std::nullopt);
    // Fast path: no body, or a small body that arrived whole with the header. Nothing is left
    // to read, so admission and the handler share one worker hop.
    if (!has_body_ || TakeBufferedBody()) return BodyDone(/*admit=*/true);
    bool posted = core_.pool->TryPost([self = Self()] {
      std::optional<Response> refused = self->RunAdmission();
      asio::post(self->stream_.get_executor(),
                 [self, r = std::move(refused)]() mutable { self->OnAdmitted(std::move(r)); });
    });
    if (!posted) {
      ++core_.busy_rejections;
      Reply(BusyResponse(), has_body_);
    }
  }

  std::optional<Response> RunAdmission() {
    try {
      return route_->admit(req_);
    } catch (const std::exception& e) {
      return ErrorResponse(Internal(std::string("unexpected error: ") + e.what()));
    }
  }

  // Parses a JSON route's body from the read buffer when all of it is already there (and within
  // the route's limit); false leaves everything as it was.
  bool TakeBufferedBody() {
    auto declared = parser_->content_length();
    if (route_->streams_body || !declared || *declared > buf_.size()) return false;
    std::size_t limit =
        route_->max_body_bytes > 0 ? route_->max_body_bytes : core_.opt.max_body_bytes;
    if (*declared > limit || *declared > 256 * 1024) return false;
    sparser_.emplace(std::move(*parser_));
    parser_.reset();
    sparser_->eager(true);
    sparser_->body_limit(limit);
    beast::error_code ec;
    while (!sparser_->is_done()) {
      std::size_t n = sparser_->put(buf_.data(), ec);
      buf_.consume(n);
      if (ec || n == 0) break;
    }
    if (!sparser_->is_done()) {
      // Cannot happen with the bytes counted above; answered as a malformed body.
      close_after_ = true;
    }
    return true;
  }

  void OnAdmitted(std::optional<Response> refused) {
    // A refused request's body is never read: it is answered, then the connection closed.
    if (refused) return Reply(std::move(*refused), has_body_);
    if (!has_body_) return BodyDone(/*admit=*/false);
    limit_ = route_->streams_body         ? core_.opt.max_upload_bytes
             : route_->max_body_bytes > 0 ? route_->max_body_bytes
                                          : core_.opt.max_body_bytes;
    if (req_.max_body_bytes > 0) limit_ = std::min(limit_, req_.max_body_bytes);
    if (parser_->content_length().value_or(0) > limit_) {
      return Reply(TooLargeResponse(limit_), true);
    }
    if (parser_->get()[bhttp::field::expect] == "100-continue") {
      // Sent only now, after admission: a refused client never starts sending its body.
      auto cont =
          std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
      Lowest().expires_after(Secs(core_.opt.write_timeout_seconds));
      bhttp::async_write(stream_, *cont, [self = Self(), cont](beast::error_code ec, std::size_t) {
        if (ec) return self->OnReadError(ec);
        self->StartBody();
      });
      return;
    }
    StartBody();
  }

  void StartBody() {
    body_start_ = Clock::now();
    body_bytes_ = 0;
    if (route_->streams_body) {
      fparser_.emplace(std::move(*parser_));
      parser_.reset();
      fparser_->body_limit(limit_);
      staged_ = core_.opt.staging_dir + "/" + NewStagingName();
      beast::error_code ec;
      fparser_->get().body().open(staged_.c_str(), beast::file_mode::write, ec);
      if (ec) {
        staged_.clear();
        return Reply(ErrorResponse(Internal("cannot stage the upload: " + ec.message())), true);
      }
    } else {
      sparser_.emplace(std::move(*parser_));
      parser_.reset();
      sparser_->body_limit(limit_);
    }
    ReadBodySome();
  }

  void ReadBodySome() {
    Lowest().expires_after(Secs(core_.opt.body_timeout_seconds));
    auto cb = [self = Self()](beast::error_code ec, std::size_t n) { self->OnBody(ec, n); };
    if (fparser_) {
      bhttp::async_read_some(stream_, buf_, *fparser_, std::move(cb));
    } else {
      bhttp::async_read_some(stream_, buf_, *sparser_, std::move(cb));
    }
  }

  void OnBody(beast::error_code ec, std::size_t n) {
    if (ec == bhttp::error::body_limit) return Reply(TooLargeResponse(limit_), true);
    if (ec == beast::error::timeout) {
      ++core_.timeouts;
      return Reply(TimeoutResponse("the request body stalled"), true);
    }
    if (ec) {
      if (IsHttpError(ec) && ec != bhttp::error::end_of_stream &&
          ec != bhttp::error::partial_message) {
        return Reply(ErrorResponse(BadRequest("malformed request body: " + ec.message())), true);
      }
      RemoveStaged();
      return;  // the client went away
    }
    body_bytes_ += n;
    if (fparser_ ? fparser_->is_done() : sparser_->is_done()) return BodyDone(false);
    double secs = std::chrono::duration<double>(Clock::now() - body_start_).count();
    if (secs > core_.opt.body_timeout_seconds &&
        static_cast<double>(body_bytes_) < secs * core_.opt.min_body_bytes_per_second) {
      ++core_.timeouts;
      return Reply(TimeoutResponse("the request body arrived slower than " +
                                   std::to_string(core_.opt.min_body_bytes_per_second) +
                                   " bytes per second"),
                   true);
    }
    ReadBodySome();
  }

  // The body is complete (or there is none): runs the handler on a worker, after admission
  // when `admit` (the fast path of OnHeader).
  void BodyDone(bool admit) {
    if (fparser_) {
      fparser_->get().body().close();
      req_.body_file = staged_;
      std::error_code sz;
      req_.body_size = static_cast<std::int64_t>(std::filesystem::file_size(staged_, sz));
    } else if (sparser_) {
      req_.body = std::move(sparser_->get().body());
      req_.body_size = static_cast<std::int64_t>(req_.body.size());
    }
    if (close_after_) {
      return Reply(ErrorResponse(BadRequest("malformed request body")), true);
    }
    bool posted = core_.pool->TryPost([self = Self(), admit] {
      Request& req = self->req_;
      if (admit) {
        std::optional<Response> refused = self->RunAdmission();
        if (!refused && req.max_body_bytes > 0 &&
            static_cast<std::size_t>(req.body_size) > req.max_body_bytes) {
          refused = TooLargeResponse(req.max_body_bytes);
        }
        if (refused) {
          asio::post(self->stream_.get_executor(), [self, r = std::move(*refused)]() mutable {
            self->Reply(std::move(r), false);
          });
          return;
        }
      }
      if (!req.body_file.empty()) {
        int fd = ::open(req.body_file.c_str(), O_RDONLY);
        if (fd >= 0) {
          ::fsync(fd);
          ::close(fd);
        }
      }
      Response r;
      try {
        r = self->route_->handler(req);
      } catch (const std::exception& e) {
        // Handlers return Status; an exception here is a bug, reported without killing the
        // server.
        r = ErrorResponse(Internal(std::string("unexpected error: ") + e.what()));
      }
      self->RemoveStaged();  // a no-op when the handler moved the file
      asio::post(self->stream_.get_executor(),
                 [self, r = std::move(r)]() mutable { self->Reply(std::move(r), false); });
    });
    if (!posted) {
      ++core_.busy_rejections;
      Reply(BusyResponse(), false);
    }
  }

  void RemoveStaged() {
    if (staged_.empty()) return;
    std::error_code rm;
    std::filesystem::remove(staged_, rm);
    staged_.clear();
  }

  static bool HasHeader(const Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k.size() == name.size() &&
          std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return true;
      }
    }
    return false;
  }

  // Sends `r`; `close` ends the connection afterwards (e.g. when a body was left unread).
  void Reply(Response r, bool close) {
    RemoveStaged();
    if (close) close_after_ = true;
    resp_ = std::move(r);
    if (resp_.tunnel && !close_after_) return StartTunnel();
    bool ka = keep_alive_ && !close_after_ && !core_.stopping;
    if (resp_.body_source && resp_.file_path.empty()) return StartStream(ka);
    if (!resp_.file_path.empty() && !head_) {
      auto msg = std::make_shared<bhttp::response<bhttp::file_body>>();
      beast::error_code ec;
      msg->body().open(resp_.file_path.c_str(), beast::file_mode::scan, ec);
      if (!ec) {
        Fill(*msg, ka);
        msg->prepare_payload();
        return Write(std::move(msg), ka);
      }
      resp_ = ErrorResponse(Internal("cannot open the file to send: " + ec.message()));
    }
    if (head_) {
      // HEAD: the headers a GET would send, Content-Length included, and no body.
      auto msg = std::make_shared<bhttp::response<bhttp::empty_body>>();
      Fill(*msg, ka);
      msg->content_length(resp_.file_path.empty() ? resp_.body.size()
                                                  : static_cast<std::size_t>(resp_.file_size));
      return Write(std::move(msg), ka);
    }
    auto msg = std::make_shared<bhttp::response<bhttp::string_body>>();
    Fill(*msg, ka);
    msg->body() = std::move(resp_.body);
    msg->prepare_payload();
    Write(std::move(msg), ka);
  }

  template <class Body>
  void Fill(bhttp::response<Body>& msg, bool ka) {
    msg.result(resp_.status);
    msg.version(11);
    msg.set(bhttp::field::content_type, resp_.content_type);
    for (const auto& [k, v] : resp_.headers) msg.set(k, v);
    // Straight into the message, not copied into resp_.headers first: one allocation fewer
    // per header and response.
    static const auto kHeaders = SecurityHeaders(kTls);
    for (const auto& [k, v] : kHeaders) {
      if (!HasHeader(resp_, k)) msg.set(k, v);
    }
    msg.keep_alive(ka);
  }

  // Writes with a progress deadline: each chunk the client takes restarts it, so a slow but
  // steady download lives on while a client that stops reading is dropped.
  template <class Body>
  void Write(std::shared_ptr<bhttp::response<Body>> msg, bool ka) {
    auto sr = std::make_shared<bhttp::response_serializer<Body>>(*msg);
    WriteSome(std::move(msg), std::move(sr), ka);
  }

  template <class Body>
  void WriteSome(std::shared_ptr<bhttp::response<Body>> msg,
                 std::shared_ptr<bhttp::response_serializer<Body>> sr, bool ka) {
    Lowest().expires_after(Secs(core_.opt.write_timeout_seconds));
    auto& s = *sr;
    bhttp::async_write_some(stream_, s,
                            [self = Self(), msg = std::move(msg), sr = std::move(sr), ka](
                                beast::error_code ec, std::size_t) mutable {
                              if (ec) {
                                if (ec == beast::error::timeout) ++self->core_.timeouts;
                                return self->Finish(false, false);
                              }
                              if (!sr->is_done())
                                return self->WriteSome(std::move(msg), std::move(sr), ka);
                              self->Finish(ka, true);
                            });
  }

  // ---- a body pulled from a BodySource: header first, then Read() on a worker, write, repeat.
  // Only one piece is in memory at a time, and a slow client slows the source down.

  void StartStream(bool ka) {
    src_ = std::move(resp_.body_source);
    std::optional<std::int64_t> size = src_->Size();
    stream_left_ = size.value_or(-1);
    auto msg = std::make_shared<bhttp::response<bhttp::empty_body>>();
    Fill(*msg, ka);
    if (size) {
      msg->content_length(static_cast<std::uint64_t>(*size));
    } else {
      msg->chunked(true);
    }
    auto sr = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*msg);
    Lowest().expires_after(Secs(core_.opt.write_timeout_seconds));
    bhttp::async_write_header(stream_, *sr,
                              [self = Self(), msg, sr, ka](beast::error_code ec, std::size_t) {
                                if (ec) return self->StreamFailed(ec);
                                if (self->head_) return self->Finish(ka, true);
                                self->PullSome(ka);
                              });
  }

  // Runs the source's Read() on a worker; a full pool delays the next piece, it never fails it.
  void PullSome(bool ka) {
    if (sbuf_.empty()) sbuf_.resize(kStreamPiece);
    bool posted = core_.pool->TryPost([self = Self(), ka] {
      StatusOr<std::size_t> n = Internal("the body source failed");
      try {
        n = self->src_->Read(self->sbuf_.data(), self->sbuf_.size());
      } catch (const std::exception& e) {
        n = Internal(std::string("unexpected error: ") + e.what());
      }
      asio::post(self->stream_.get_executor(),
                 [self, ka, n = std::move(n)]() mutable { self->OnPulled(ka, std::move(n)); });
    });
    if (posted) return;
    if (!retry_) retry_.emplace(stream_.get_executor());
    retry_->expires_after(std::chrono::milliseconds(2));
    retry_->async_wait([self = Self(), ka](beast::error_code) { self->PullSome(ka); });
  }

  void OnPulled(bool ka, StatusOr<std::size_t> n) {
    bool sized = stream_left_ >= 0;
    if (n.ok() && sized) {
      auto got = static_cast<std::int64_t>(*n);
      if (got > stream_left_ || (got == 0 && stream_left_ != 0)) {
        n = Internal("the body source's size does not match what it returned");
      } else {
        stream_left_ -= got;
      }
    }
    if (!n.ok() || *n > sbuf_.size()) {
      // The status line has gone out: the client learns of the failure from the cut body.
      spdlog::error("streamed response to {} {} ended early: {}", req_.method, req_.path,
                    n.ok() ? std::string("the source overran its buffer") : n.status().ToString());
      return Finish(false, false);
    }
    Lowest().expires_after(Secs(core_.opt.write_timeout_seconds));
    auto done = [self = Self(), ka, last = *n == 0](beast::error_code ec, std::size_t) {
      if (ec) return self->StreamFailed(ec);
      if (last) return self->Finish(ka, true);
      self->PullSome(ka);
    };
    static const std::string kCrlf = "\r\n";
    static const std::string kLastChunk = "0\r\n\r\n";
    if (*n == 0) {
      if (sized) return Finish(ka, true);
      return asio::async_write(stream_, asio::buffer(kLastChunk), std::move(done));
    }
    if (sized) return asio::async_write(stream_, asio::buffer(sbuf_.data(), *n), std::move(done));
    char hex[24];
    int len = std::snprintf(hex, sizeof(hex), "%zx\r\n", *n);
    chunk_head_.assign(hex, static_cast<std::size_t>(len));
    std::array<asio::const_buffer, 3> bufs{asio::buffer(chunk_head_),
                                           asio::buffer(sbuf_.data(), *n), asio::buffer(kCrlf)};
    asio::async_write(stream_, bufs, std::move(done));
  }

  void StreamFailed(beast::error_code ec) {
    if (ec == beast::error::timeout) ++core_.timeouts;
    Finish(false, false);
  }

  void Finish(bool keep_alive, bool written) {
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
    if (core_.opt.on_request) core_.opt.on_request(req_, resp_, ms);
    parser_.reset();
    sparser_.reset();
    fparser_.reset();
    route_ = nullptr;
    has_body_ = false;
    head_ = false;
    resp_ = Response{};
    src_.reset();
    std::vector<char>().swap(sbuf_);  // bounded memory while idle
    if (keep_alive) return WaitRequest(false);
    if (written) Shutdown();
  }

  // Ends the connection. Plain HTTP: half-close, then discard what the client still sends for
  // a moment, so it reads the answer instead of a reset. TLS: close_notify under a deadline.
  void Shutdown() {
    Lowest().expires_after(std::chrono::seconds(2));
    if constexpr (kTls) {
      stream_.async_shutdown([self = Self()](beast::error_code) {});
    } else {
      beast::error_code ec;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      Drain();
    }
  }

  void Drain() {
    buf_.clear();
    Lowest().async_read_some(buf_.prepare(16 * 1024),
                             [self = Self()](beast::error_code ec, std::size_t) {
                               if (!ec) self->Drain();
                             });
  }

  // ---- a tunnel (Response::tunnel): connect, send the rewritten head and any bytes already
  // read, then relay both ways. No deadlines: a lab's kernel channel may be quiet for hours.
  void StartTunnel() {
    tunnel_ = std::move(resp_.tunnel);
    up_buf_.resize(16 * 1024);
    down_buf_.resize(16 * 1024);
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
    resp_.status = 101;
    if (core_.opt.on_request) core_.opt.on_request(req_, resp_, ms);
    upstream_.emplace(stream_.get_executor());
    Lowest().expires_never();
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"),
                     static_cast<unsigned short>(tunnel_->port));
    upstream_->async_connect(ep, [self = Self()](beast::error_code ec) {
      if (ec) {
        self->tunnel_closed_ = true;
        self->tunnel_.reset();
        return self->Reply(ErrorResponse(Status(ErrorCode::kTemporarilyUnavailable,
                                                "the compute instance did not accept the "
                                                "connection: " +
                                                    ec.message())),
                           true);
      }
      std::string head = std::move(self->tunnel_->head);
      auto pending = beast::buffers_to_string(self->buf_.data());
      self->buf_.consume(self->buf_.size());
      auto out = std::make_shared<std::string>(head + pending);
      asio::async_write(*self->upstream_, asio::buffer(*out),
                        [self, out](beast::error_code ec2, std::size_t) {
                          if (ec2) return self->CloseTunnel();
                          self->PumpToUpstream();
                          self->PumpToClient();
                        });
    });
  }

  void PumpToUpstream() {
    if (tunnel_closed_) return;
    stream_.async_read_some(
        asio::buffer(up_buf_), [self = Self()](beast::error_code ec, std::size_t n) {
          if (ec || self->tunnel_closed_) return self->CloseTunnel();
          if (self->tunnel_->on_traffic) self->tunnel_->on_traffic(n);
          asio::async_write(*self->upstream_, asio::buffer(self->up_buf_.data(), n),
                            [self](beast::error_code ec2, std::size_t) {
                              if (ec2) return self->CloseTunnel();
                              self->PumpToUpstream();
                            });
        });
  }

  void PumpToClient() {
    if (tunnel_closed_) return;
    upstream_->async_read_some(
        asio::buffer(down_buf_), [self = Self()](beast::error_code ec, std::size_t n) {
          if (ec || self->tunnel_closed_) return self->CloseTunnel();
          if (self->tunnel_->on_traffic) self->tunnel_->on_traffic(n);
          asio::async_write(self->stream_, asio::buffer(self->down_buf_.data(), n),
                            [self](beast::error_code ec2, std::size_t) {
                              if (ec2) return self->CloseTunnel();
                              self->PumpToClient();
                            });
        });
  }

  // Pending operations complete with operation_aborted and stop there; the session ends when
  // the last of them returns.
  void CloseTunnel() {
    if (!upstream_ || tunnel_closed_) return;
    tunnel_closed_ = true;
    beast::error_code ec;
    upstream_->shutdown(tcp::socket::shutdown_both, ec);
    upstream_->close(ec);
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().socket().close(ec);
  }

  static std::string NewStagingName();

  // The tunnel's upstream connection and buffers (set only while tunnelling).
  std::shared_ptr<Tunnel> tunnel_;
  std::optional<tcp::socket> upstream_;
  bool tunnel_closed_ = false;
  // Sized only when a tunnel starts: an idle keep-alive session must stay a few KiB.
  std::vector<char> up_buf_;
  std::vector<char> down_buf_;

  Stream stream_;
  beast::flat_buffer buf_;
  bool waiting_ = false;
  std::optional<bhttp::request_parser<bhttp::empty_body>> parser_;
  std::optional<bhttp::request_parser<bhttp::string_body>> sparser_;
  std::optional<bhttp::request_parser<bhttp::file_body>> fparser_;
  const Route* route_ = nullptr;
  Request req_;
  Response resp_;
  bool keep_alive_ = false;
  bool has_body_ = false;
  bool head_ = false;
  bool close_after_ = false;
  std::size_t limit_ = 0;
  std::string staged_;
  Clock::time_point start_;
  Clock::time_point body_start_;
  std::uint64_t body_bytes_ = 0;
  // A streamed response (StartStream): its source, the piece being written, bytes still owed
  // when the size is known (-1: chunked).
  static constexpr std::size_t kStreamPiece = 64 * 1024;
  std::shared_ptr<BodySource> src_;
  std::vector<char> sbuf_;
  std::string chunk_head_;
  std::int64_t stream_left_ = -1;
  std::optional<asio::steady_timer> retry_;
};

std::string StagingName();

template <class Stream>
std::string Session<Stream>::NewStagingName() {
  return StagingName();
}

}  // namespace mlws::http::internal
