// SigV4 against AWS's published S3 examples ("Signature Calculations for the Authorization
// Header: Transferring Payload in a Single Chunk" and "Authenticating Requests: Using Query
// Parameters"), plus the listing query strings libcurl 7.88 gets wrong.
#include "artifacts/s3/sigv4.h"

#include <gtest/gtest.h>

#include <string>

#include "mlws/common/sha256.h"

namespace mlws::artifacts::sigv4 {
namespace {

const Credentials kCreds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
constexpr const char* kDate = "20130524T000000Z";
constexpr const char* kEmptySha =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string SignatureOf(const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [k, v] : headers) {
    if (k == "Authorization") return v.substr(v.rfind("Signature=") + 10);
  }
  return "";
}

Request Get(std::string path, std::vector<std::pair<std::string, std::string>> query = {}) {
  Request r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  r.payload_sha256 = kEmptySha;
  return r;
}

TEST(SigV4Test, DerivesThePublishedSigningKey) {
  EXPECT_EQ(
      SigningKeyHex("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam"),
      "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4Test, GetObjectWithRange) {
  Request r = Get("/test.txt");
  r.headers.emplace_back("Range", "bytes=0-9");
  EXPECT_EQ(CanonicalRequest([&] {
              Request c = r;
              c.headers.emplace_back("x-amz-content-sha256", kEmptySha);
              c.headers.emplace_back("x-amz-date", kDate);
              return c;
            }()),
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:" +
                std::string(kEmptySha) + "\nx-amz-date:20130524T000000Z\n\n" +
                "host;range;x-amz-content-sha256;x-amz-date\n" + kEmptySha);
  auto headers = Sign(r, kCreds, "us-east-1", "s3", kDate);
  EXPECT_EQ(SignatureOf(headers),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(headers.back().second,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, PutObjectWithAPayloadAndAReservedCharacterInTheKey) {
  Request r;
  r.method = "PUT";
  r.path = "/test$file.text";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  r.payload_sha256 = Sha256Hex("Welcome to Amazon S3.");
  EXPECT_EQ(r.payload_sha256, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(SignatureOf(Sign(r, kCreds, "us-east-1", "s3", kDate)),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4Test, SubresourceWithoutAValue) {
  EXPECT_EQ(SignatureOf(Sign(Get("/", {{"lifecycle", ""}}), kCreds, "us-east-1", "s3", kDate)),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4Test, ListObjectsQueryIsSortedAndEncoded) {
  // Given out of order on purpose: the canonical form sorts.
  Request r = Get("/", {{"prefix", "J"}, {"max-keys", "2"}});
  EXPECT_EQ(SignatureOf(Sign(r, kCreds, "us-east-1", "s3", kDate)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  // What ListObjectsV2 sends: '/' and '=' inside values are encoded, the empty value keeps '='.
  EXPECT_EQ(CanonicalQuery({{"prefix", "a b/c/"},
                            {"list-type", "2"},
                            {"continuation-token", "1ab+cd/e=="},
                            {"delimiter", "/"},
                            {"encoding-type", ""}}),
            "continuation-token=1ab%2Bcd%2Fe%3D%3D&delimiter=%2F&encoding-type=&list-type=2&"
            "prefix=a%20b%2Fc%2F");
}

TEST(SigV4Test, PathSegmentsAreEncodedOnceAndSlashesKept) {
  EXPECT_EQ(UriEncode("/bucket/a b/ü~x.txt", true), "/bucket/a%20b/%C3%BC~x.txt");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
}

TEST(SigV4Test, PresignedUrl) {
  Request r = Get("/test.txt");
  std::string q = PresignQuery(r, kCreds, "us-east-1", "s3", kDate, 86400);
  EXPECT_EQ(q,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
            "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
            "X-Amz-SignedHeaders=host&X-Amz-Signature="
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4Test, SessionTokenIsSigned) {
  Credentials c = kCreds;
  c.session_token = "tok";
  auto headers = Sign(Get("/x"), c, "us-east-1", "s3", kDate);
  bool found = false;
  for (const auto& [k, v] : headers) found |= (k == "x-amz-security-token" && v == "tok");
  EXPECT_TRUE(found);
  EXPECT_NE(headers.back().second.find("x-amz-security-token"), std::string::npos);
  EXPECT_NE(SignatureOf(headers), SignatureOf(Sign(Get("/x"), kCreds, "us-east-1", "s3", kDate)));
}

}  // namespace
}  // namespace mlws::artifacts::sigv4
