// The URL a server records for itself in the `servers` table (several servers on one database,
// docs/scale-out.md): what other servers name when a user must reach the owner of a lab, and what
// `mlws doctor` lists. `--advertise-url` sets it; by default it is built from the listening
// address, with this machine's name in place of a wildcard address (0.0.0.0, ::).
#pragma once

#include <string>

#include "mlws/common/status.h"

namespace mlws::server {

// Checks a user-given --advertise-url: http:// or https://, a host, an optional port and path,
// no credentials, query or fragment, no spaces. Returns it without a trailing '/'.
StatusOr<std::string> CheckAdvertiseUrl(const std::string& url);

// The default: <scheme>://<host>:<port>, `machine` for a wildcard or empty `host`, IPv6
// addresses in brackets.
std::string DefaultAdvertiseUrl(bool tls, const std::string& host, int port,
                                const std::string& machine);

// This machine's name (gethostname), "localhost" when it has none.
std::string MachineName();

}  // namespace mlws::server
