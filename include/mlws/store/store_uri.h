// Store URIs as they may be shown: OpenMetadataStore (metadata_store.h) accepts
// "sqlite:///path" and "postgresql://user:password@host:port/database[?param=value...]"
// (libpq's URI form, also "postgres://"). A PostgreSQL database that cannot be reached gives
// TemporarilyUnavailable within the connect timeout (10 s unless the URI sets connect_timeout),
// naming the URI with its password masked and libpq's reason.
#pragma once

#include <string>

namespace mlws::store {

// `uri` with any password (userinfo or `password=` parameter) replaced by "***": the only form
// of a store URI that may appear in logs, errors and metrics.
std::string RedactStoreUri(const std::string& uri);

}  // namespace mlws::store
