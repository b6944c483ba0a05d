#include "mlws/api/browser_safety.h"

#include <gtest/gtest.h>

namespace mlws::api {
namespace {

http::Request Post(std::vector<std::pair<std::string, std::string>> headers) {
  http::Request r;
  r.method = "POST";
  r.path = "/api/v1/workspaces/default/jobs";
  r.headers = std::move(headers);
  return r;
}

int StatusOf(const BrowserSafety& b, const http::Request& r, bool streams = false) {
  auto refused = b.Check(r, streams);
  return refused ? refused->status : 0;
}

TEST(BrowserSafetyTest, LoopbackAcceptsOwnOriginAndClients) {
  BrowserSafety b("127.0.0.1", 5000, {});
  EXPECT_EQ(StatusOf(b, Post({{"host", "127.0.0.1:5000"},
                              {"origin", "http://127.0.0.1:5000"},
                              {"content-type", "application/json"},
                              {"content-length", "2"}})),
            0);
  EXPECT_EQ(StatusOf(b, Post({{"host", "localhost:5000"},
                              {"origin", "http://localhost:5000"},
                              {"content-type", "application/json; charset=utf-8"},
                              {"content-length", "2"}})),
            0);
  // A script (no browser headers) may leave the type out.
  EXPECT_EQ(StatusOf(b, Post({{"host", "127.0.0.1:5000"}, {"content-length", "2"}})), 0);
}

TEST(BrowserSafetyTest, RefusesForeignOriginsAndRebinding) {
  BrowserSafety b("127.0.0.1", 5000, {});
  EXPECT_EQ(StatusOf(b, Post({{"host", "127.0.0.1:5000"}, {"origin", "http://evil.example"}})),
            403);
  EXPECT_EQ(StatusOf(b, Post({{"host", "127.0.0.1:5000"}, {"origin", "http://127.0.0.1:5001"}})),
            403);
  EXPECT_EQ(StatusOf(b, Post({{"host", "127.0.0.1:5000"}, {"origin", "null"}})), 403);
  EXPECT_EQ(
      StatusOf(b, Post({{"host", "evil.example:5000"}, {"origin", "http://evil.example:5000"}})),
      403);
  EXPECT_EQ(StatusOf(b, Post({{"host", "rebound.example:5000"}})), 403);
  EXPECT_EQ(StatusOf(b, Post({{"host", "127.0.0.1:5000"}, {"sec-fetch-site", "cross-site"}})), 403);
  // GETs are not state-changing: not checked here (authorization still applies).
  http::Request get = Post({{"origin", "http://evil.example"}});
  get.method = "GET";
  EXPECT_EQ(StatusOf(b, get), 0);
}

TEST(BrowserSafetyTest, SimpleTypesAndQueryOnlyPostsAreRefused) {
  BrowserSafety b("127.0.0.1", 5000, {});
  EXPECT_EQ(StatusOf(b, Post({{"content-type", "text/plain"}, {"content-length", "5"}})), 415);
  EXPECT_EQ(StatusOf(b, Post({{"content-type", "application/x-www-form-urlencoded"},
                              {"transfer-encoding", "chunked"}})),
            415);
  EXPECT_EQ(StatusOf(b, Post({{"sec-fetch-mode", "no-cors"}, {"content-length", "5"}})), 415);
  // OTLP's protobuf is not a CORS-safelisted type (a page must preflight it): accepted.
  EXPECT_EQ(
      StatusOf(b, Post({{"content-type", "application/x-protobuf"}, {"content-length", "5"}})), 0);
  // Streaming routes take octet-stream bodies.
  EXPECT_EQ(
      StatusOf(b, Post({{"content-type", "application/octet-stream"}, {"content-length", "5"}}),
               true),
      0);
  http::Request q = Post({});
  q.query_string = "name=x&password=y";
  EXPECT_EQ(StatusOf(b, q), 400);
  q.method = "DELETE";  // MLflow-style DELETE parameters are not something a form can send
  EXPECT_EQ(StatusOf(b, q), 0);
  EXPECT_EQ(StatusOf(b, Post({})), 0);  // a body-less POST (archive, cancel)
}

TEST(BrowserSafetyTest, WildcardAddressUsesTheHostHeaderAndAllowedOrigins) {
  BrowserSafety b("0.0.0.0", 5000, {"https://ml.example.com/"});
  EXPECT_EQ(StatusOf(b, Post({{"host", "10.1.2.3:5000"}, {"origin", "http://10.1.2.3:5000"}})), 0);
  EXPECT_EQ(StatusOf(b, Post({{"host", "10.1.2.3:5000"}, {"origin", "http://evil.example"}})), 403);
  EXPECT_EQ(StatusOf(b, Post({{"host", "internal:5000"}, {"origin", "https://ml.example.com"}})),
            0);
}

TEST(BrowserSafetyTest, FromBrowser) {
  EXPECT_FALSE(BrowserSafety::FromBrowser(Post({})));
  EXPECT_TRUE(BrowserSafety::FromBrowser(Post({{"x-requested-with", "XMLHttpRequest"}})));
  EXPECT_TRUE(BrowserSafety::FromBrowser(Post({{"sec-fetch-mode", "cors"}})));
}

}  // namespace
}  // namespace mlws::api
