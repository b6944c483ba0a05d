// SecretService against a real SQLite store and a real key file.
#include "mlws/auth/secret_service.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "mlws/common/ids.h"

namespace mlws::auth {
namespace {

class SecretServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("MLWS_MASTER_KEY");
    dir_ = std::filesystem::temp_directory_path() / ("mlws-secrets-" + NewRunId());
    std::filesystem::create_directories(dir_);
    auto s = store::OpenMetadataStore("sqlite:///" + (dir_ / "db").string());
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    ASSERT_TRUE(store_->Migrate().ok());
    auto ws = store_->workspaces().CreateWorkspace("w", "");
    ASSERT_TRUE(ws.ok());
    ws_ = ws->id;
    auto vault = Vault::Open(dir_.string());
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    secrets_ = std::make_unique<SecretService>(*store_, *vault);
  }
  void TearDown() override {
    secrets_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::MetadataStore> store_;
  std::unique_ptr<SecretService> secrets_;
  std::int64_t ws_ = 0;
};

TEST_F(SecretServiceTest, ExpandsReferencesAtUseTime) {
  ASSERT_TRUE(secrets_->Set(ws_, "DB_PASS", "hunter2").ok());
  ASSERT_TRUE(secrets_->Set(ws_, "KEY", "k").ok());
  auto out = secrets_->Expand(ws_, "postgres://u:${{secrets.DB_PASS}}@h/${{secrets.KEY}}!");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "postgres://u:hunter2@h/k!");
  EXPECT_EQ(*secrets_->Expand(ws_, "no references"), "no references");
  auto missing = secrets_->Expand(ws_, "${{secrets.NOPE}}");
  EXPECT_EQ(missing.status().code(), ErrorCode::kResourceDoesNotExist);
  EXPECT_NE(missing.status().message().find("NOPE"), std::string::npos);
  EXPECT_EQ(secrets_->Expand(ws_, "${{secrets.DB_PASS").status().code(),
            ErrorCode::kInvalidParameterValue);
}

TEST_F(SecretServiceTest, CiphertextIsBoundToItsRow) {
  ASSERT_TRUE(secrets_->Set(ws_, "A", "value-a").ok());
  ASSERT_TRUE(secrets_->Set(ws_, "B", "value-b").ok());
  // Copy A's sealed bytes into B's row: opening B must fail, not return A's value.
  auto a = store_->secrets().GetSecret(ws_, "A");
  ASSERT_TRUE(a.ok());
  store::SealedSecret forged = *a;
  forged.name = "B";
  ASSERT_TRUE(store_->secrets().PutSecret(ws_, forged).ok());
  EXPECT_EQ(secrets_->Get(ws_, "B").status().code(), ErrorCode::kInternalError);
  EXPECT_EQ(*secrets_->Get(ws_, "A"), "value-a");
}

TEST_F(SecretServiceTest, MasterKeyFileIsPrivateAndReused) {
  auto key = dir_ / "master.key";
  ASSERT_TRUE(std::filesystem::exists(key));
  auto perms = std::filesystem::status(key).permissions();
  EXPECT_EQ(perms & std::filesystem::perms::group_all, std::filesystem::perms::none);
  EXPECT_EQ(perms & std::filesystem::perms::others_all, std::filesystem::perms::none);
  ASSERT_TRUE(secrets_->Set(ws_, "S", "v").ok());
  auto again = Vault::Open(dir_.string());
  ASSERT_TRUE(again.ok());
  SecretService second(*store_, *again);
  EXPECT_EQ(*second.Get(ws_, "S"), "v");
}

}  // namespace
}  // namespace mlws::auth
