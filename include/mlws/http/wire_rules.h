// Wire rules the server applies to every exchange, kept free of Boost.Beast so they can be
// unit-tested: request framing (RFC 9112 section 6) and the headers every response carries.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::http {

// `transfer_encodings` holds the value of every Transfer-Encoding field of the request.
// A request is framed correctly when it has no Transfer-Encoding, or exactly one coding,
// "chunked" (case-insensitive), and then no Content-Length. Anything else (gzip, identity,
// "xchunked", "gzip, chunked", both framings at once) is a BadRequest: the server answers 400
// and closes the connection, because it cannot know where the body ends.
Status CheckFraming(const std::vector<std::string>& transfer_encodings, bool has_content_length);

// The headers added to every response that does not set them itself: a Content-Security-Policy
// the studio works under, frame denial and no MIME sniffing; under TLS also HSTS.
std::vector<std::pair<std::string, std::string>> SecurityHeaders(bool tls);

// The method label for metrics: the method when it is one of the standard ones, else "other",
// so made-up methods cannot grow the number of series.
std::string_view MethodLabel(std::string_view method);

}  // namespace mlws::http
