#include "mlws/http/wire_rules.h"

#include <gtest/gtest.h>

namespace mlws::http {
namespace {

TEST(WireRulesTest, OnlyExactlyChunkedIsAccepted) {
  EXPECT_TRUE(CheckFraming({}, true).ok());
  EXPECT_TRUE(CheckFraming({}, false).ok());
  EXPECT_TRUE(CheckFraming({"chunked"}, false).ok());
  EXPECT_TRUE(CheckFraming({" Chunked "}, false).ok());
  for (const char* te : {"xchunked", "gzip", "identity", "gzip, chunked", "chunked, gzip", ""}) {
    Status s = CheckFraming({te}, false);
    EXPECT_EQ(s.code(), ErrorCode::kBadRequest) << te;
  }
  EXPECT_EQ(CheckFraming({"chunked", "chunked"}, false).code(), ErrorCode::kBadRequest);
}

TEST(WireRulesTest, BothFramingsAreRefused) {
  EXPECT_EQ(CheckFraming({"chunked"}, true).code(), ErrorCode::kBadRequest);
}

TEST(WireRulesTest, MethodLabelsAreBounded) {
  EXPECT_EQ(MethodLabel("GET"), "GET");
  EXPECT_EQ(MethodLabel("DELETE"), "DELETE");
  EXPECT_EQ(MethodLabel("get"), "other");
  EXPECT_EQ(MethodLabel(std::string(4096, 'X')), "other");
}

TEST(WireRulesTest, SecurityHeadersAndHstsUnderTlsOnly) {
  auto has = [](const std::vector<std::pair<std::string, std::string>>& h, const char* name) {
    for (const auto& [k, v] : h) {
      if (k == name) return true;
    }
    return false;
  };
  auto plain = SecurityHeaders(false);
  EXPECT_TRUE(has(plain, "Content-Security-Policy"));
  EXPECT_TRUE(has(plain, "X-Frame-Options"));
  EXPECT_TRUE(has(plain, "X-Content-Type-Options"));
  EXPECT_FALSE(has(plain, "Strict-Transport-Security"));
  EXPECT_TRUE(has(SecurityHeaders(true), "Strict-Transport-Security"));
}

}  // namespace
}  // namespace mlws::http
