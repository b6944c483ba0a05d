#include <gtest/gtest.h>

#include <cstring>

#include "mlws/tracking/otlp.h"

namespace mlws::tracking {
namespace {

// A minimal protobuf writer for building test inputs.
std::string Varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}
std::string Len(int field, const std::string& bytes) {
  return Varint(static_cast<std::uint64_t>(field) << 3 | 2) + Varint(bytes.size()) + bytes;
}
std::string Fixed64(int field, std::uint64_t v) {
  std::string out = Varint(static_cast<std::uint64_t>(field) << 3 | 1);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}
std::string VarintField(int field, std::uint64_t v) {
  return Varint(static_cast<std::uint64_t>(field) << 3) + Varint(v);
}
std::string Attr(const std::string& key, const std::string& any_value) {
  return Len(9, Len(1, key) + Len(2, any_value));
}

const std::string kTrace(16, '\x11');
const std::string kSpan(8, '\x22');
const std::string kParent(8, '\x33');

std::string SpanBytes() {
  double d = 2.5;
  std::uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  std::string kv = Len(1, Len(1, "q") + Len(2, Len(1, "hi")));  // KeyValueList {q: "hi"}
  return Len(1, kTrace) + Len(2, kSpan) + Len(4, kParent) + Len(5, "llm") + Fixed64(7, 1000000000) +
         Fixed64(8, 3000000000) + Attr("s", Len(1, "text")) + Attr("b", VarintField(2, 1)) +
         Attr("i", VarintField(3, 7)) + Attr("d", Fixed64(4, bits)) + Attr("kv", Len(6, kv)) +
         Attr("arr", Len(5, Len(1, VarintField(3, 1)) + Len(1, VarintField(3, 2)))) +
         Len(11, Fixed64(1, 2000000000) + Len(2, "ev")) +
         Len(15, Len(2, "boom") + VarintField(3, 2)) + VarintField(6, 3);  // kind: skipped
}

std::string Request(const std::string& span) {
  std::string resource = Len(1, Len(1, "service.name") + Len(2, Len(1, "svc")));
  return Len(1, Len(2, Len(2, span)) + Len(1, resource));  // resource after its scope spans
}

TEST(OtlpDecodeTest, ProtobufSpanFields) {
  auto spans = DecodeOtlpProtobuf(Request(SpanBytes()));
  ASSERT_TRUE(spans.ok()) << spans.status().message();
  ASSERT_EQ(spans->size(), 1u);
  const OtlpSpan& s = (*spans)[0];
  EXPECT_EQ(s.trace_id, kTrace);
  EXPECT_EQ(s.span_id, kSpan);
  EXPECT_EQ(s.parent_span_id, kParent);
  EXPECT_EQ(s.name, "llm");
  EXPECT_EQ(s.start_time_unix_nano, 1000000000u);
  EXPECT_EQ(s.end_time_unix_nano, 3000000000u);
  EXPECT_EQ(s.attributes["s"], "text");
  EXPECT_EQ(s.attributes["b"], true);
  EXPECT_EQ(s.attributes["i"], 7);
  EXPECT_EQ(s.attributes["d"], 2.5);
  EXPECT_EQ(s.attributes["kv"]["q"], "hi");
  EXPECT_EQ(s.attributes["arr"].dump(), "[1,2]");
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].name, "ev");
  EXPECT_EQ(s.status_code, 2);
  EXPECT_EQ(s.status_message, "boom");
  EXPECT_EQ(s.service_name, "svc");
}

TEST(OtlpDecodeTest, MalformedProtobufIsInvalidArgument) {
  std::string good = Request(SpanBytes());
  for (size_t cut : {good.size() - 1, good.size() / 2, size_t{1}}) {
    auto r = DecodeOtlpProtobuf(good.substr(0, cut));
    ASSERT_FALSE(r.ok()) << cut;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidParameterValue);
  }
  EXPECT_FALSE(DecodeOtlpProtobuf("\xff\xff\xff").ok());
  EXPECT_FALSE(DecodeOtlpProtobuf(Varint(1 << 3 | 3)).ok());  // group wire type
  // A trace id of the wrong length.
  EXPECT_FALSE(DecodeOtlpProtobuf(Request(Len(1, "short") + Len(2, kSpan))).ok());
  EXPECT_TRUE(DecodeOtlpProtobuf("")->empty());
}

TEST(OtlpDecodeTest, NestingIsBounded) {
  std::string v = Len(1, "leaf");
  for (int i = 0; i < kMaxOtlpValueDepth + 5; ++i) v = Len(5, Len(1, v));
  auto r = DecodeOtlpProtobuf(Request(Len(1, kTrace) + Len(2, kSpan) + Attr("deep", v)));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested"), std::string::npos);
}

TEST(OtlpDecodeTest, JsonSpanFields) {
  const char* body = R"({"resourceSpans": [{"resource": {"attributes": [
      {"key": "service.name", "value": {"stringValue": "svc"}}]},
    "scopeSpans": [{"spans": [{"traceId": "11111111111111111111111111111111",
      "spanId": "2222222222222222", "name": "root", "startTimeUnixNano": "1000",
      "endTimeUnixNano": 2000, "status": {"code": "STATUS_CODE_OK"},
      "attributes": [{"key": "i", "value": {"intValue": "9"}},
                     {"key": "kv", "value": {"kvlistValue": {"values": [
                        {"key": "z", "value": {"boolValue": false}},
                        {"key": "a", "value": {"doubleValue": 1.5}}]}}}]}]}]}]})";
  auto spans = DecodeOtlpJson(body);
  ASSERT_TRUE(spans.ok()) << spans.status().message();
  ASSERT_EQ(spans->size(), 1u);
  const OtlpSpan& s = (*spans)[0];
  EXPECT_EQ(s.trace_id, kTrace);
  EXPECT_TRUE(s.parent_span_id.empty());
  EXPECT_EQ(s.start_time_unix_nano, 1000u);
  EXPECT_EQ(s.end_time_unix_nano, 2000u);
  EXPECT_EQ(s.status_code, 1);
  EXPECT_EQ(s.attributes["i"], 9);
  EXPECT_EQ(s.attributes["kv"].dump(), R"({"z":false,"a":1.5})");  // order kept
  EXPECT_EQ(s.service_name, "svc");
}

TEST(OtlpDecodeTest, MalformedJsonIsInvalidArgument) {
  EXPECT_FALSE(DecodeOtlpJson("{").ok());
  EXPECT_FALSE(DecodeOtlpJson("[]").ok());
  EXPECT_FALSE(DecodeOtlpJson(R"({"resourceSpans": [{"scopeSpans": [{"spans": [
      {"traceId": "zz", "spanId": "2222222222222222"}]}]}]})")
                   .ok());
  EXPECT_FALSE(DecodeOtlpJson(R"({"resourceSpans": [{"scopeSpans": [{"spans": [
      {"traceId": "11111111111111111111111111111111", "spanId": "2222222222222222",
       "startTimeUnixNano": "-1"}]}]}]})")
                   .ok());
  EXPECT_TRUE(DecodeOtlpJson("{}")->empty());
}

TEST(OtlpDecodeTest, Encodings) {
  EXPECT_EQ(HexEncode("\x01\xab"), "01ab");
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
}

}  // namespace
}  // namespace mlws::tracking
