// Backend selection by URI: the one place that knows which MetadataStore implementations exist.
#include <filesystem>
#include <string_view>

#include "mlws/store/metadata_store.h"
#include "mlws/store/store_uri.h"

namespace mlws::store {

namespace sqlite {
StatusOr<std::unique_ptr<MetadataStore>> OpenSqliteStore(const std::string& path);
}
namespace postgres {
StatusOr<std::unique_ptr<MetadataStore>> OpenPostgresStore(const std::string& uri);
std::string MaskPassword(const std::string& uri);
}  // namespace postgres

std::string RedactStoreUri(const std::string& uri) { return postgres::MaskPassword(uri); }

StatusOr<std::unique_ptr<MetadataStore>> OpenMetadataStore(const std::string& uri) {
  constexpr std::string_view kSqlite = "sqlite://";
  if (uri.rfind(kSqlite, 0) == 0) {
    std::string path = uri.substr(kSqlite.size());  // "/abs/path" or "rel/path"
    if (path.empty() || path == "/") {
      return InvalidArgument("sqlite URI needs a file path: sqlite:///path/to/mlws.db");
    }
    std::error_code ec;
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) return InvalidArgument("cannot create folder " + parent.string() + ": " + ec.message());
    return sqlite::OpenSqliteStore(path);
  }
  if (uri.rfind("postgresql://", 0) == 0 || uri.rfind("postgres://", 0) == 0) {
    return postgres::OpenPostgresStore(uri);
  }
  return InvalidArgument("unsupported backend store URI '" + RedactStoreUri(uri) +
                         "': supported schemes are sqlite:///path and "
                         "postgresql://user:password@host:port/database");
}

}  // namespace mlws::store
