// BodySource: a response body pulled piece by piece while it is sent, for bodies that are not a
// local file and too big to hold in memory (an artifact streamed from an object store).
//
// The server calls Read() from the connection's thread until it returns 0 (end) or an error
// (the connection is then closed: the status line has already gone out). Size() known up front
// gives a Content-Length; nullopt sends the body chunked. One source serves one response and is
// used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "mlws/common/status.h"

namespace mlws::http {

class BodySource {
 public:
  virtual ~BodySource() = default;
  // Copies up to `cap` bytes into `buf`; 0 means the body is complete.
  virtual StatusOr<std::size_t> Read(char* buf, std::size_t cap) = 0;
  virtual std::optional<std::int64_t> Size() const { return std::nullopt; }
};

}  // namespace mlws::http
