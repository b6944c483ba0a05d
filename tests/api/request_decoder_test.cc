#include "mlws/api/request_decoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace mlws::api {
namespace {

http::Request Get(const std::string& qs) {
  http::Request r;
  r.method = "GET";
  EXPECT_TRUE(http::ParseQueryString(qs, r.query).ok());
  return r;
}

http::Request Post(const std::string& body) {
  http::Request r;
  r.method = "POST";
  r.body = body;
  return r;
}

TEST(RequestDecoderTest, QueryValuesAndRepeatedKeys) {
  auto d = RequestDecoder::From(Get("run_id=abc&run_ids=a&run_ids=b&max_results=5"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d->RequiredString("run_id"), "abc");
  EXPECT_EQ(d->StringList("run_ids")->size(), 2u);
  EXPECT_EQ(**d->OptionalInt("max_results"), 5);
  EXPECT_EQ(d->OptionalInt("nope")->has_value(), false);
  EXPECT_EQ(d->RequiredString("missing").status().code(), ErrorCode::kInvalidParameterValue);
}

// Found by the fuzzer: a non-UTF-8 byte in a query value used to throw while rendering the error.
TEST(RequestDecoderTest, QueryStringsThatAreNotUtf8AreRefused) {
  http::Request r;
  EXPECT_EQ(http::ParseQueryString("tags=!%D6", r.query).code(), ErrorCode::kBadRequest);
  EXPECT_EQ(http::ParseQueryString("name=m%ff", r.query).code(), ErrorCode::kBadRequest);
  EXPECT_EQ(http::ParseQueryString("name=a%00b", r.query).code(), ErrorCode::kBadRequest);
  EXPECT_TRUE(http::ParseQueryString("name=caf%C3%A9", r.query).ok());
  EXPECT_EQ(r.query.find("name")->second, "caf\xc3\xa9");
}

TEST(RequestDecoderTest, InvalidUtf8InErrorMessageDoesNotThrow) {
  http::Request r;  // bytes that reached a request some other way still render safely
  r.method = "GET";
  r.query.emplace("tags", "!\xD6");
  auto d = RequestDecoder::From(r);
  ASSERT_TRUE(d.ok());
  auto v = d->OptionalInt("tags");
  EXPECT_EQ(v.status().code(), ErrorCode::kInvalidParameterValue);
}

TEST(RequestDecoderTest, JsonBodiesAndTypeErrors) {
  EXPECT_EQ(RequestDecoder::From(Post("{bad")).status().code(), ErrorCode::kBadRequest);
  EXPECT_EQ(RequestDecoder::From(Post("[1]")).status().code(), ErrorCode::kBadRequest);
  auto d = RequestDecoder::From(Post(R"({"name": 5, "n": "12", "big": 9223372036854775808})"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->RequiredString("name").status().code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(**d->OptionalInt("n"), 12);  // protobuf-JSON allows int64 as strings
  EXPECT_EQ(d->OptionalInt("big").status().code(), ErrorCode::kInvalidParameterValue);
}

TEST(RequestDecoderTest, DoublesAcceptProtobufSpecialValues) {
  EXPECT_TRUE(std::isnan(*JsonToDouble(nlohmann::json("NaN"), "v")));
  EXPECT_EQ(*JsonToDouble(nlohmann::json("-Infinity"), "v"), -INFINITY);
  EXPECT_FALSE(JsonToDouble(nlohmann::json("abc"), "v").ok());
  EXPECT_FALSE(JsonToDouble(nlohmann::json::object(), "v").ok());
}

}  // namespace
}  // namespace mlws::api
