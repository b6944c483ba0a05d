#include "mlws/http/router.h"

#include <gtest/gtest.h>

namespace mlws::http {
namespace {

Request Req(const char* method, const char* path) {
  Request r;
  r.method = method;
  r.path = path;
  return r;
}

Router MakeRouter() {
  Router r;
  auto ok = [](Request&) { return TextResponse("ok"); };
  r.Add({"GET", "/api/2.0/mlflow/runs/get", "workspaces/runs/read", false, 0, ok, {}});
  r.Add({"PATCH", "/api/2.0/mlflow/traces/{request_id}", "x", false, 0, ok, {}});
  r.Add({"PUT", "/api/2.0/mlflow-artifacts/artifacts/{path...}", "x", true, 0, ok, {}});
  return r;
}

TEST(RouterTest, ExactRouteAndWorkspacePrefix) {
  Router r = MakeRouter();
  Request req = Req("GET", "/workspaces/team-a/api/2.0/mlflow/runs/get");
  Match m = r.Resolve(req);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(req.workspace, "team-a");
  EXPECT_EQ(req.path, "/api/2.0/mlflow/runs/get");
}

TEST(RouterTest, AjaxPrefixIsTheSameApi) {
  Router r = MakeRouter();
  Request req = Req("GET", "/ajax-api/2.0/mlflow/runs/get");
  ASSERT_NE(r.Resolve(req).route, nullptr);
  EXPECT_EQ(req.workspace, "default");
}

TEST(RouterTest, CapturesSegmentsAndRest) {
  Router r = MakeRouter();
  Request t = Req("PATCH", "/api/2.0/mlflow/traces/tr-123");
  ASSERT_NE(r.Resolve(t).route, nullptr);
  EXPECT_EQ(t.path_params["request_id"], "tr-123");
  Request a = Req("PUT", "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/m/x.bin");
  const Route* route = r.Resolve(a).route;
  ASSERT_NE(route, nullptr);
  EXPECT_TRUE(route->streams_body);
  EXPECT_EQ(a.path_params["path"], "1/abc/artifacts/m/x.bin");
}

TEST(RouterTest, WrongMethodIsKnownPathUnknownPathIsNot) {
  Router r = MakeRouter();
  Request wrong = Req("POST", "/api/2.0/mlflow/runs/get");
  Match m = r.Resolve(wrong);
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_known);
  Request unknown = Req("GET", "/api/2.0/mlflow/nope");
  Match u = r.Resolve(unknown);
  EXPECT_EQ(u.route, nullptr);
  EXPECT_FALSE(u.path_known);
}

TEST(QueryStringTest, DecodesRepeatedKeysAndRejectsBadEscapes) {
  std::multimap<std::string, std::string> q;
  ASSERT_TRUE(ParseQueryString("run_ids=a&run_ids=b&path=x%2Fy+z", q).ok());
  EXPECT_EQ(q.count("run_ids"), 2u);
  EXPECT_EQ(q.find("path")->second, "x/y z");
  std::multimap<std::string, std::string> bad;
  EXPECT_FALSE(ParseQueryString("a=%zz", bad).ok());
  EXPECT_FALSE(ParseQueryString("a=%2", bad).ok());
  EXPECT_FALSE(PercentDecode("%", false).has_value());
}

TEST(ErrorResponseTest, MapsCodesToMlflowStatuses) {
  EXPECT_EQ(ErrorResponse(AlreadyExists("x")).status, 400);
  EXPECT_EQ(ErrorResponse(NotFound("x")).status, 404);
  Response r = ErrorResponse(InvalidArgument("bad \"thing\""));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error_code":"INVALID_PARAMETER_VALUE","message":"bad \"thing\""})");
}

}  // namespace
}  // namespace mlws::http
