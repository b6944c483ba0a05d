// Azure ML reference forms: every accepted shape and the refusals users can hit.
#include "assets/asset_reference.h"

#include <gtest/gtest.h>

namespace mlws::assets {
namespace {

TEST(AssetReferenceTest, ShortForms) {
  auto r = ParseAssetReference(AssetKind::kData, "azureml:iris:3");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->name, "iris");
  EXPECT_EQ(r->version, "3");
  EXPECT_TRUE(r->registry.empty());
  r = ParseAssetReference(AssetKind::kData, "azureml:iris@latest");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->label, "latest");
  EXPECT_TRUE(r->version.empty());
  r = ParseAssetReference(AssetKind::kModel, "iris");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->label, "latest");
  r = ParseAssetReference(AssetKind::kModel, "iris:7");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->version, "7");
}

TEST(AssetReferenceTest, LongForms) {
  auto r =
      ParseAssetReference(AssetKind::kEnvironment,
                          "azureml://registries/azureml/environments/sklearn-1.5/labels/latest");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->registry, "azureml");
  EXPECT_EQ(r->name, "sklearn-1.5");
  EXPECT_EQ(r->label, "latest");
  r = ParseAssetReference(AssetKind::kModel, "azureml://registries/shared/models/m/versions/2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->version, "2");
  r = ParseAssetReference(AssetKind::kData,
                          "azureml://locations/westeurope/workspaces/ws1/data/d/versions/1");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->registry.empty());
  EXPECT_EQ(r->name, "d");
}

TEST(AssetReferenceTest, Refusals) {
  for (const char* bad :
       {"", "azureml:", "azureml::1", "azureml:x:", "azureml:x@", "https://x/y",
        "azureml://registries/azureml/models/m/versions/1" /* wrong kind for data */,
        "azureml://registries/azureml/data/d", "azureml://registries/azureml/data/d/tags/x"}) {
    EXPECT_FALSE(ParseAssetReference(AssetKind::kData, bad).ok()) << bad;
  }
  auto r = ParseAssetReference(AssetKind::kData, "azureml:x@best");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("only 'latest'"), std::string::npos);
}

TEST(AssetReferenceTest, DatastoreUris) {
  auto d = ParseDatastoreUri("azureml://datastores/workspaceblobstore/paths/a/b.csv");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->datastore, "workspaceblobstore");
  EXPECT_EQ(d->path, "a/b.csv");
  d = ParseDatastoreUri("azureml://datastores/ds/paths/folder/");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->path, "folder");
  d = ParseDatastoreUri(
      "azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/ds/paths/x");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->datastore, "ds");
  EXPECT_EQ(d->path, "x");
  for (const char* bad :
       {"azureml://datastores/ds/paths/../x", "azureml://datastores/ds/paths/a//b",
        "azureml://datastores//paths/x", "azureml://datastores/ds/files/x", "s3://bucket/x",
        "azureml://datastores/ds/paths/a\\b"}) {
    EXPECT_FALSE(ParseDatastoreUri(bad).ok()) << bad;
  }
  EXPECT_EQ(MakeDatastoreUri("ds", "a/b"), "azureml://datastores/ds/paths/a/b");
}

}  // namespace
}  // namespace mlws::assets
