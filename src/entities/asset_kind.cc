#include "mlws/assets/asset.h"

namespace mlws::assets {

const char* CollectionName(AssetKind kind) {
  switch (kind) {
    case AssetKind::kModel: return "models";
    case AssetKind::kData: return "data";
    case AssetKind::kEnvironment: return "environments";
    case AssetKind::kComponent: return "components";
  }
  return "data";
}

const char* KindName(AssetKind kind) {
  switch (kind) {
    case AssetKind::kModel: return "model";
    case AssetKind::kData: return "data";
    case AssetKind::kEnvironment: return "environment";
    case AssetKind::kComponent: return "component";
  }
  return "data";
}

std::optional<AssetKind> ParseAssetKind(const std::string& s) {
  for (AssetKind k :
       {AssetKind::kModel, AssetKind::kData, AssetKind::kEnvironment, AssetKind::kComponent}) {
    if (s == CollectionName(k) || s == KindName(k)) return k;
  }
  return std::nullopt;
}

}  // namespace mlws::assets
