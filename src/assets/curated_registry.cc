#include "assets/curated_registry.h"

#include <nlohmann/json.hpp>

#include "mlws/common/json.h"

namespace mlws::assets {

namespace {

Asset CuratedEnvironment(const std::string& name, const std::string& description,
                         const std::vector<std::string>& pip) {
  nlohmann::json conda = {
      {"name", name},
      {"channels", {"conda-forge"}},
      {"dependencies", {"python=3", "pip", {{"pip", pip}}}},
  };
  nlohmann::json spec = {{"name", name},
                         {"version", "1"},
                         {"description", description},
                         {"image", "mcr.microsoft.com/azureml/curated/" + name + ":latest"},
                         {"conda_file", conda}};
  Asset a;
  a.kind = AssetKind::kEnvironment;
  a.name = name;
  a.version = "1";
  a.type = "environment";
  a.description = description;
  a.tags = {{"curated", "true"}};
  a.spec_json = DumpJson(spec);
  a.created_by = "mlws";
  a.seq = 1;
  return a;
}

}  // namespace

const std::vector<Asset>& CuratedAssets() {
  // Versions pinned so every machine builds the same environment (and pip's cache is reused).
  static const std::vector<Asset> kAssets = {
      CuratedEnvironment("sklearn-1.5",
                         "Python 3 with scikit-learn 1.5, pandas and MLflow (curated by mlws)",
                         {"scikit-learn==1.5.2", "pandas==2.2.3", "mlflow==2.17.2"}),
      CuratedEnvironment("minimal-py-cpu", "Python 3 with MLflow's client only (curated by mlws)",
                         {"mlflow-skinny==2.17.2"}),
  };
  return kAssets;
}

}  // namespace mlws::assets
