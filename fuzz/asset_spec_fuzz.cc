// libFuzzer: the parsers a spec goes through — YAML to JSON, spec validation for every asset
// kind, and asset/datastore references. Must never crash, hang or throw.
#include <cstddef>
#include <cstdint>
#include <string>

#include "assets/asset_reference.h"
#include "assets/asset_spec.h"
#include "cli/spec_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  using mlws::assets::AssetKind;
  for (AssetKind k :
       {AssetKind::kModel, AssetKind::kData, AssetKind::kEnvironment, AssetKind::kComponent}) {
    (void)mlws::assets::ParseAssetReference(k, text);
  }
  (void)mlws::assets::ParseDatastoreUri(text);
  auto j = mlws::cli::YamlToJson(text);
  if (j.ok()) {
    for (AssetKind k :
         {AssetKind::kModel, AssetKind::kData, AssetKind::kEnvironment, AssetKind::kComponent}) {
      (void)mlws::assets::AssetFromSpec(k, *j);
    }
  }
  return 0;
}
