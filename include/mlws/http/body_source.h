// BodySource: a response body pulled piece by piece while it is sent, so a body of any size
// (a 10M-point metric history, a 10 GiB blob) needs bounded server memory.
//
// The server calls Read() on its worker pool (never on an I/O thread: Read may block on the
// store or on storage), one call at a time, and writes each piece before asking for the next;
// a client that reads slowly therefore slows the source instead of growing a buffer. The
// source is destroyed when the response is done or the connection ends, whichever is first,
// possibly before Read() returned 0.
//
// With Size() known the response carries Content-Length and must have exactly that many bytes
// (fewer or more closes the connection); without it the body is sent chunked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "mlws/common/status.h"

namespace mlws::http {

class BodySource {
 public:
  virtual ~BodySource() = default;
  // Fills up to cap bytes; returns bytes written, 0 at the end, or an error (connection is then
  // closed).
  virtual StatusOr<std::size_t> Read(char* buf, std::size_t cap) = 0;
  virtual std::optional<std::int64_t> Size() const { return std::nullopt; }  // nullopt → chunked
};

}  // namespace mlws::http
