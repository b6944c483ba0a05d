// Parsing of Azure ML asset references (see asset_service.h for the accepted forms).
#pragma once

#include <string>
#include <string_view>

#include "mlws/assets/asset.h"
#include "mlws/common/status.h"

namespace mlws::assets {

struct AssetRef {
  std::string registry;  // "" = the workspace
  std::string name;
  std::string version;  // "" = by label
  std::string label;    // "latest" when no version is given
};

StatusOr<AssetRef> ParseAssetReference(AssetKind kind, std::string_view ref);

// azureml://datastores/<ds>/paths/<p> -> {ds, p}; InvalidArgument for other forms.
struct DatastoreUri {
  std::string datastore;
  std::string path;  // relative, '/'-separated, may be empty (the datastore root)
};
StatusOr<DatastoreUri> ParseDatastoreUri(std::string_view uri);
std::string MakeDatastoreUri(const std::string& datastore, const std::string& path);

}  // namespace mlws::assets
