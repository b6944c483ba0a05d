#include "assets/asset_reference.h"

#include <fmt/format.h>

#include <vector>

#include "mlws/common/strings.h"

namespace mlws::assets {

namespace {

std::vector<std::string> SplitPath(std::string_view s) {
  std::vector<std::string> out;
  for (auto part : SplitKeepEmpty(s, '/')) out.emplace_back(part);
  return out;
}

Status BadRef(AssetKind kind, std::string_view ref) {
  return InvalidArgument(fmt::format(
      "'{}' is not a {} reference: use azureml:<name>:<version>, azureml:<name>@latest or "
      "azureml://registries/<registry>/{}/<name>/versions/<version> (or /labels/latest)",
      std::string(ref.substr(0, 200)), KindName(kind), CollectionName(kind)));
}

// "<name>", "<name>:<version>", "<name>@<label>"
StatusOr<AssetRef> ParseShort(AssetKind kind, std::string_view full, std::string_view s) {
  AssetRef r;
  size_t at = s.find('@');
  size_t colon = s.find(':');
  if (at != std::string_view::npos) {
    r.name = std::string(s.substr(0, at));
    r.label = std::string(s.substr(at + 1));
  } else if (colon != std::string_view::npos) {
    r.name = std::string(s.substr(0, colon));
    r.version = std::string(s.substr(colon + 1));
  } else {
    r.name = std::string(s);
    r.label = "latest";
  }
  if (r.name.empty() || (at != std::string_view::npos && r.label.empty()) ||
      (colon != std::string_view::npos && at == std::string_view::npos && r.version.empty())) {
    return BadRef(kind, full);
  }
  if (!r.label.empty() && r.label != "latest") {
    return InvalidArgument(fmt::format("unknown label '{}' in '{}': only 'latest' is supported",
                                       r.label, std::string(full.substr(0, 200))));
  }
  return r;
}

}  // namespace

StatusOr<AssetRef> ParseAssetReference(AssetKind kind, std::string_view ref) {
  constexpr std::string_view kLong = "azureml://";
  constexpr std::string_view kShort = "azureml:";
  if (ref.substr(0, kLong.size()) == kLong) {
    auto parts = SplitPath(ref.substr(kLong.size()));
    // registries/<reg>/<coll>/<name>/(versions/<v>|labels/<l>)
    // locations/<loc>/workspaces/<ws>/<coll>/<name>/versions/<v>
    // subscriptions/.../workspaces/<ws>/<coll>/<name>/versions/<v>
    AssetRef r;
    size_t i = 0;
    if (parts.size() >= 2 && parts[0] == "registries") {
      r.registry = parts[1];
      i = 2;
    } else {
      while (i < parts.size() && parts[i] != "workspaces") ++i;
      i += 2;  // skip "workspaces/<ws>": the current workspace is meant
    }
    if (i + 4 != parts.size() || parts[i] != CollectionName(kind) || parts[i + 1].empty() ||
        parts[i + 3].empty()) {
      return BadRef(kind, ref);
    }
    r.name = parts[i + 1];
    if (parts[i + 2] == "versions") {
      r.version = parts[i + 3];
    } else if (parts[i + 2] == "labels") {
      r.label = parts[i + 3];
      if (r.label != "latest") {
        return InvalidArgument(
            fmt::format("unknown label '{}': only 'latest' is supported", r.label));
      }
    } else {
      return BadRef(kind, ref);
    }
    return r;
  }
  if (ref.substr(0, kShort.size()) == kShort) {
    return ParseShort(kind, ref, ref.substr(kShort.size()));
  }
  if (ref.find("://") != std::string_view::npos || ref.empty()) return BadRef(kind, ref);
  return ParseShort(kind, ref, ref);
}

StatusOr<DatastoreUri> ParseDatastoreUri(std::string_view uri) {
  constexpr std::string_view kPrefix = "azureml://datastores/";
  auto bad = [&]() {
    return InvalidArgument(fmt::format(
        "'{}' is not a datastore URI: use azureml://datastores/<datastore>/paths/<path>",
        std::string(uri.substr(0, 200))));
  };
  // Also accept the long form azureml://subscriptions/…/workspaces/<ws>/datastores/<ds>/paths/…
  size_t pos = uri.find("/datastores/");
  if (uri.substr(0, kPrefix.size()) != kPrefix &&
      (uri.substr(0, 10) != "azureml://" || pos == std::string_view::npos)) {
    return bad();
  }
  std::string_view rest = uri.substr(pos + std::string_view("/datastores/").size());
  size_t slash = rest.find('/');
  DatastoreUri d;
  d.datastore = std::string(rest.substr(0, slash));
  if (d.datastore.empty()) return bad();
  if (slash == std::string_view::npos) return d;
  rest = rest.substr(slash + 1);
  if (rest.substr(0, 6) != "paths/" && rest != "paths") return bad();
  rest = rest.size() > 6 ? rest.substr(6) : std::string_view();
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  for (const auto& seg : SplitPath(rest)) {
    if (rest.empty()) break;
    if (seg.empty() || seg == "." || seg == ".." || seg.find('\\') != std::string::npos) {
      return InvalidArgument(
          fmt::format("unsafe path in datastore URI '{}'", std::string(uri.substr(0, 200))));
    }
  }
  d.path = std::string(rest);
  return d;
}

std::string MakeDatastoreUri(const std::string& datastore, const std::string& path) {
  return "azureml://datastores/" + datastore + "/paths/" + path;
}

}  // namespace mlws::assets
