// The URL a server records for itself in the `servers` table (several servers on one database,
// docs/scale-out.md): what other servers name when a user must reach the owner of a lab, and what
// `mlws doctor` lists. `--advertise-url` sets it; by default it is built from the listening
// address, with the server's host name in place of a wildcard address (0.0.0.0, ::).
#pragma once

#include <string>

#include "mlws/common/status.h"

namespace mlws::server {

// Checks a user-given --advertise-url: http:// or https://, a host, an optional port and path,
// no credentials, query or fragment, no spaces. Returns it without a trailing '/'.
StatusOr<std::string> CheckAdvertiseUrl(const std::string& url);

// <scheme>://<host>:<port> of a server listening on `host`, with `wildcard_host` in place of a
// wildcard or empty `host` (0.0.0.0, ::) and IPv6 addresses in brackets. The default
// --advertise-url (the host's name for a wildcard) and the loopback URL of the server's own jobs.
std::string ServerUrl(bool tls, const std::string& host, int port,
                      const std::string& wildcard_host);

}  // namespace mlws::server
