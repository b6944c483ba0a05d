// SourceBody: a Beast body type that pulls a response body from an http::BodySource while the
// serializer writes it (Content-Length or chunked is set by the caller). A failed Read ends the
// write with an error, which closes the connection: the client sees a truncated body.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/optional.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <utility>
#include <vector>

#include "mlws/http/body_source.h"

namespace mlws::http::internal {

struct SourceBody {
  struct value_type {
    std::shared_ptr<BodySource> source;
  };

  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;

    template <bool isRequest, class Fields>
    writer(const boost::beast::http::header<isRequest, Fields>&, const value_type& body)
        : source_(body.source) {}

    void init(boost::system::error_code& ec) {
      buf_.resize(256 * 1024);
      ec = {};
    }

    boost::optional<std::pair<const_buffers_type, bool>> get(boost::system::error_code& ec) {
      ec = {};
      auto n = source_->Read(buf_.data(), buf_.size());
      if (!n.ok()) {
        ec = boost::system::errc::make_error_code(boost::system::errc::io_error);
        return boost::none;
      }
      if (*n == 0) return boost::none;
      return std::make_pair(const_buffers_type(buf_.data(), *n), true);
    }

   private:
    std::shared_ptr<BodySource> source_;
    std::vector<char> buf_;
  };
};

}  // namespace mlws::http::internal
