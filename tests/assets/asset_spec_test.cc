// Spec validation: the fields each kind accepts, names and versions by Azure ML's rules.
#include "assets/asset_spec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace mlws::assets {
namespace {

using nlohmann::json;

std::string Error(AssetKind kind, const json& spec) {
  auto a = AssetFromSpec(kind, spec);
  return a.ok() ? "" : a.status().message();
}

TEST(AssetSpecTest, AcceptsTheExampleShapes) {
  auto a = AssetFromSpec(AssetKind::kData, json{{"$schema", "x"},
                                                {"name", "d"},
                                                {"path", "p"},
                                                {"type", "uri_file"},
                                                {"version", 3},
                                                {"tags", {{"n", 1}}}});
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->version, "3");
  EXPECT_EQ(a->tags.at("n"), "1");
  a = AssetFromSpec(AssetKind::kModel, json{{"name", "m"}, {"path", "p"}});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->type, "custom_model");
  a = AssetFromSpec(AssetKind::kEnvironment,
                    json{{"name", "e"}, {"image", "python"}, {"conda_file", json::object()}});
  ASSERT_TRUE(a.ok());
  a = AssetFromSpec(AssetKind::kComponent,
                    json{{"name", "c_1"},
                         {"command", "python x.py --a ${{inputs.a}} --o ${{ outputs.o }}"},
                         {"inputs", {{"a", {{"type", "string"}}}}},
                         {"outputs", {{"o", {{"type", "uri_folder"}}}}},
                         {"environment", "azureml:e:1"}});
  ASSERT_TRUE(a.ok()) << a.status().message();
}

TEST(AssetSpecTest, RefusesWithTheFieldNamed) {
  EXPECT_EQ(Error(AssetKind::kData, {{"name", "d"}, {"path", "p"}, {"colour", 1}}),
            "unknown field 'colour' in the data spec");
  EXPECT_NE(Error(AssetKind::kData, {{"name", "d"}}).find("needs a path"), std::string::npos);
  EXPECT_NE(Error(AssetKind::kData, {{"name", "d"}, {"path", "p"}, {"type", "csv"}})
                .find("unknown data type"),
            std::string::npos);
  EXPECT_NE(Error(AssetKind::kEnvironment, {{"name", "e"}}).find("needs an image"),
            std::string::npos);
  EXPECT_NE(
      Error(AssetKind::kComponent,
            {{"name", "c"}, {"command", "echo ${{inputs.z}}"}, {"environment", "azureml:e:1"}})
          .find("declares no input named 'z'"),
      std::string::npos);
  EXPECT_NE(Error(AssetKind::kComponent,
                  {{"name", "c"}, {"command", "echo ${{jobs.x}}"}, {"environment", "azureml:e:1"}})
                .find("only inputs.<name>"),
            std::string::npos);
  EXPECT_NE(Error(AssetKind::kComponent, {{"name", "c"}, {"command", "echo"}}).find("environment"),
            std::string::npos);
  EXPECT_NE(Error(AssetKind::kComponent,
                  {{"name", "c"}, {"type", "pipeline"}, {"command", "x"}, {"environment", "e"}})
                .find("not supported"),
            std::string::npos);
}

TEST(AssetSpecTest, NamesAndVersions) {
  EXPECT_TRUE(ValidateAssetName(AssetKind::kData, "Iris-2.csv_v1").ok());
  EXPECT_FALSE(ValidateAssetName(AssetKind::kData, "-iris").ok());
  EXPECT_FALSE(ValidateAssetName(AssetKind::kData, "iris data").ok());
  EXPECT_FALSE(ValidateAssetName(AssetKind::kData, std::string(256, 'a')).ok());
  EXPECT_TRUE(ValidateAssetName(AssetKind::kComponent, "train_model_2").ok());
  EXPECT_FALSE(ValidateAssetName(AssetKind::kComponent, "Train").ok());
  EXPECT_FALSE(ValidateAssetName(AssetKind::kComponent, "train-model").ok());
  EXPECT_TRUE(ValidateAssetVersion(AssetKind::kData, "2024.01-rc_1").ok());
  EXPECT_FALSE(ValidateAssetVersion(AssetKind::kData, "a b").ok());
  EXPECT_FALSE(ValidateAssetVersion(AssetKind::kData, std::string(31, '1')).ok());
  EXPECT_TRUE(ValidateAssetVersion(AssetKind::kModel, "12").ok());
  EXPECT_FALSE(ValidateAssetVersion(AssetKind::kModel, "0").ok());
  EXPECT_FALSE(ValidateAssetVersion(AssetKind::kModel, "v1").ok());
}

}  // namespace
}  // namespace mlws::assets
