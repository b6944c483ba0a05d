#include "mlws/tracking/validation.h"

#include <gtest/gtest.h>

#include "mlws/tracking/tracking_service.h"

namespace mlws::tracking {
namespace {

TEST(ValidationTest, EntityKeys) {
  for (const char* ok : {"loss", "a/b", "val loss", "x:y", "a.b-c_d", "ünïcode"}) {
    EXPECT_TRUE(ValidateEntityKey("metric", ok).ok()) << ok;
  }
  for (const char* bad :
       {"", "/abs", "a/../b", "..", "a//b", "a/", "./a", "semi;colon", "q\"uote", "back\\slash"}) {
    EXPECT_EQ(ValidateEntityKey("metric", bad).code(), ErrorCode::kInvalidParameterValue) << bad;
  }
  EXPECT_FALSE(ValidateEntityKey("metric", std::string(251, 'a')).ok());
  EXPECT_TRUE(ValidateEntityKey("metric", std::string(250, 'a')).ok());
}

TEST(ValidationTest, ValueLengthsAndBatchLimits) {
  EXPECT_TRUE(ValidateParam({"p", std::string(6000, 'x')}).ok());
  EXPECT_FALSE(ValidateParam({"p", std::string(6001, 'x')}).ok());
  EXPECT_TRUE(ValidateTag({"t", std::string(8000, 'x')}).ok());
  EXPECT_FALSE(ValidateTag({"t", std::string(8001, 'x')}).ok());
  EXPECT_TRUE(ValidateBatchLimits(1000, 0, 0).ok());
  EXPECT_FALSE(ValidateBatchLimits(1001, 0, 0).ok());
  EXPECT_FALSE(ValidateBatchLimits(0, 101, 0).ok());
  EXPECT_FALSE(ValidateBatchLimits(0, 0, 101).ok());
  EXPECT_FALSE(ValidateBatchLimits(900, 100, 1).ok());
  EXPECT_FALSE(ValidateExperimentName(std::string(501, 'e')).ok());
  EXPECT_FALSE(ValidateExperimentName("").ok());
}

TEST(ValidationTest, WorkspaceNames) {
  EXPECT_TRUE(ValidateWorkspaceName("team-a_1").ok());
  for (const char* bad : {"", "-a", "Upper", "a b", "a/b", "a.b"}) {
    EXPECT_FALSE(ValidateWorkspaceName(bad).ok()) << bad;
  }
  EXPECT_FALSE(ValidateWorkspaceName(std::string(65, 'a')).ok());
}

TEST(PageTokenTest, RoundTripsAndRejectsGarbage) {
  auto t = EncodePageToken(100);
  EXPECT_EQ(t, "eyJvZmZzZXQiOiAxMDB9");  // what MLflow's SQL store sends
  auto d = DecodePageToken(t);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, 100);
  EXPECT_EQ(*DecodePageToken(""), 0);
  for (const char* bad : {"abc", "!!!!", "eyJvZmZzZXQiOiAtMX0=", "bm90IGpzb24="}) {
    EXPECT_FALSE(DecodePageToken(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace mlws::tracking
