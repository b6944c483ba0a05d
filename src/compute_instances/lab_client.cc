// One HTTP exchange with a lab on loopback, under a deadline (Boost.Beast on a private
// io_context, so a stuck lab costs one worker at most `timeout_ms`).
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "compute_instances/instance_internal.h"

namespace mlws::compute_instances {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr std::uint64_t kMaxReplyBytes = 256ULL * 1024 * 1024;
}

StatusOr<LabReply> LabCall(int port, const std::string& method, const std::string& target,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           const std::string& body, int timeout_ms) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  bhttp::request<bhttp::string_body> req;
  req.method(bhttp::string_to_verb(method));
  if (req.method() == bhttp::verb::unknown) req.method_string(method);
  req.target(target);
  req.version(11);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(bhttp::field::connection, "close");
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.body() = body;
    req.prepare_payload();
  }
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxReplyBytes);
  parser.header_limit(256 * 1024);
  parser.skip(method == "HEAD");  // a HEAD answer has a Content-Length but no body
  beast::error_code result;
  stream.expires_after(std::chrono::milliseconds(timeout_ms));
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  stream.async_connect(ep, [&](beast::error_code ec) {
    if (ec) {
      result = ec;
      return;
    }
    bhttp::async_write(stream, req, [&](beast::error_code ec2, std::size_t) {
      if (ec2) {
        result = ec2;
        return;
      }
      bhttp::async_read(stream, buf, parser,
                        [&](beast::error_code ec3, std::size_t) { result = ec3; });
    });
  });
  ioc.run();
  if (result && !(result == bhttp::error::end_of_stream && parser.is_done())) {
    if (result == beast::error::timeout) {
      return Status(ErrorCode::kTemporarilyUnavailable,
                    "the compute instance did not answer in time");
    }
    return Status(ErrorCode::kTemporarilyUnavailable,
                  "the compute instance cannot be reached: " + result.message());
  }
  LabReply out;
  auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  out.body = std::move(res.body());
  return out;
}

}  // namespace mlws::compute_instances
