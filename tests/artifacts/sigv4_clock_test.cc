// The SigV4 signer's clock is the Env's (common/env.h): with a FaultEnv whose wall clock is fixed
// at AWS's example time, the signature is AWS's published one (the GetObject example of
// "Signature Calculations for the Authorization Header"); a clock that jumps signs at its new
// time.
#include <gtest/gtest.h>

#include <string>

#include "artifacts/s3/s3_client.h"
#include "artifacts/s3/sigv4.h"
#include "mlws/common/env.h"
#include "s3proxy_fixture.h"

namespace mlws::artifacts::sigv4 {
namespace {

constexpr std::int64_t kExampleTime = 1'369'353'600'000;  // 2013-05-24T00:00:00Z

std::string SignatureAt(Env& env) {
  Request r;
  r.method = "GET";
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
  r.payload_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  Credentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  auto headers = Sign(r, creds, "us-east-1", "s3", AmzDateNow(env));
  for (const auto& [k, v] : headers) {
    if (k == "Authorization") return v.substr(v.rfind("Signature=") + 10);
  }
  return "";
}

TEST(SigV4ClockTest, SignsAtTheEnvsWallClock) {
  FaultEnv env;
  env.SetWallClock(kExampleTime);
  EXPECT_EQ(AmzDateNow(env), "20130524T000000Z");
  EXPECT_EQ(SignatureAt(env), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  env.JumpWallClock(3'600'000 + 999);  // milliseconds are cut, not rounded
  EXPECT_EQ(AmzDateNow(env), "20130524T010000Z");
  EXPECT_NE(SignatureAt(env), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4ClockTest, FormatsAnyTimeAsXAmzDate) {
  EXPECT_EQ(AmzDate(0), "19700101T000000Z");
  EXPECT_EQ(AmzDate(1'700'000'000'123), "20231114T221320Z");
}

// The client signs with its endpoint's Env: S3Proxy accepts a request signed now and refuses
// one whose clock is a day ahead (RequestTimeTooSkewed).
TEST(SigV4ClockTest, TheS3ClientSignsWithItsEnvsClock) {
  std::string why;
  std::string url = mlws::testing::S3ProxyEndpoint(&why);
  if (url.empty()) GTEST_SKIP() << "S3Proxy: " << why;
  FaultEnv env;
  S3Endpoint ep;
  ep.scheme = "http";
  ep.authority = url.substr(url.find("://") + 3);
  ep.bucket = mlws::testing::kS3ProxyBucket;
  ep.creds = {mlws::testing::kS3ProxyKey, mlws::testing::kS3ProxySecret, ""};
  ep.env = &env;
  S3Client client(ep);
  auto now = client.Call("GET", "", {{"list-type", "2"}, {"max-keys", "1"}});
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_EQ(now->status, 200) << now->body;
  env.JumpWallClock(24 * 3'600'000LL);
  auto skewed = client.Call("GET", "", {{"list-type", "2"}, {"max-keys", "1"}});
  ASSERT_TRUE(skewed.ok()) << skewed.status().ToString();
  EXPECT_EQ(skewed->status, 403) << skewed->body;
  EXPECT_NE(skewed->body.find("RequestTimeTooSkewed"), std::string::npos) << skewed->body;
}

}  // namespace
}  // namespace mlws::artifacts::sigv4
