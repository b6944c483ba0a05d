// Online endpoint and deployment specs: what is accepted, and the message of what is not.
#include "mlws/serving/online_spec.h"

#include <gtest/gtest.h>

namespace mlws::serving {
namespace {

using nlohmann::json;

TEST(OnlineSpecTest, TrafficParsesTheCliStringAndMappings) {
  auto t = ParseTraffic("traffic", json("blue=90 green=10"));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t), (Traffic{{"blue", 90}, {"green", 10}}));
  auto m = ParseTraffic("traffic", json{{"blue", 100}});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->at("blue"), 100);
  EXPECT_FALSE(ParseTraffic("traffic", json("blue")).ok());
  EXPECT_FALSE(ParseTraffic("traffic", json("blue=x")).ok());
  EXPECT_FALSE(ParseTraffic("traffic", json{{"blue", 101}}).ok());
  EXPECT_FALSE(ParseTraffic("traffic", json{{"blue", "90"}}).ok());
  EXPECT_FALSE(ParseTraffic("traffic", json(3)).ok());
}

TEST(OnlineSpecTest, TrafficMustSumToZeroOrHundredOverKnownDeployments) {
  std::vector<std::string> deps = {"blue", "green"};
  EXPECT_TRUE(ValidateTraffic({{"blue", 90}, {"green", 10}}, {}, deps).ok());
  EXPECT_TRUE(ValidateTraffic({}, {}, deps).ok());
  EXPECT_TRUE(ValidateTraffic({{"blue", 0}}, {}, deps).ok());
  Status st = ValidateTraffic({{"blue", 90}}, {}, deps);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("sums to 90"), std::string::npos) << st.message();
  st = ValidateTraffic({{"red", 100}}, {}, deps);
  EXPECT_NE(st.message().find("'red'"), std::string::npos) << st.message();
}

TEST(OnlineSpecTest, MirrorGoesToOneDeploymentWithoutLiveTraffic) {
  std::vector<std::string> deps = {"blue", "green"};
  EXPECT_TRUE(ValidateTraffic({{"blue", 100}}, {{"green", 10}}, deps).ok());
  Status st = ValidateTraffic({{"blue", 90}, {"green", 10}}, {{"green", 10}}, deps);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("takes live traffic"), std::string::npos) << st.message();
  EXPECT_FALSE(ValidateTraffic({{"blue", 100}}, {{"green", 60}}, deps).ok());
  EXPECT_FALSE(ValidateTraffic({{"blue", 100}}, {{"red", 10}}, deps).ok());
}

TEST(OnlineSpecTest, EndpointSpec) {
  auto e = ParseEndpointSpec(json{{"name", "my-endpoint"}, {"auth_mode", "key"}});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->auth_mode, "key");
  EXPECT_FALSE(ParseEndpointSpec(json{{"name", "my-endpoint"}, {"auth_mode", "basic"}}).ok());
  EXPECT_FALSE(ParseEndpointSpec(json{{"name", "x"}}).ok());     // too short
  EXPECT_FALSE(ParseEndpointSpec(json{{"name", "1abc"}}).ok());  // starts with a digit
  EXPECT_FALSE(ParseEndpointSpec(json{{"name", "abc-"}}).ok());  // ends with '-'
  EXPECT_FALSE(ParseEndpointSpec(json{{"name", "abc"}, {"bogus", 1}}).ok());
  EXPECT_FALSE(ParseEndpointSpec(json::array()).ok());
}

TEST(OnlineSpecTest, EndpointUpdateKeepsNameAuthModeAndKeys) {
  OnlineEndpoint base;
  base.name = "my-endpoint";
  base.primary_key = "k1";
  base.secondary_key = "k2";
  auto u = ApplyEndpointUpdate(base, json{{"traffic", "blue=100"}});
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->traffic.at("blue"), 100);
  EXPECT_EQ(u->primary_key, "k1");
  EXPECT_FALSE(ApplyEndpointUpdate(base, json{{"auth_mode", "aml_token"}}).ok());
  EXPECT_FALSE(ApplyEndpointUpdate(base, json{{"name", "other"}}).ok());
}

json Deployment() {
  return json{{"name", "blue"},
              {"endpoint_name", "my-endpoint"},
              {"model", {{"path", "azureml://datastores/workspaceblobstore/paths/m"}}},
              {"code_configuration",
               {{"code", "azureml://datastores/d/paths/c"}, {"scoring_script", "score.py"}}},
              {"instance_count", 2},
              {"request_settings",
               {{"request_timeout_ms", 3000}, {"max_concurrent_requests_per_instance", 4}}}};
}

TEST(OnlineSpecTest, DeploymentSpec) {
  auto d = ParseDeploymentSpec(Deployment(), "my-endpoint");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->instance_count, 2);
  EXPECT_EQ(d->request_settings.request_timeout_ms, 3000);
  EXPECT_EQ(d->request_settings.max_concurrent_requests_per_instance, 4);
  EXPECT_EQ(d->request_settings.max_queue_wait_ms, 500);
  EXPECT_EQ(d->scoring_script, "score.py");
  // The stored form round-trips.
  auto back = DeploymentFromJson(DeploymentToJson(*d));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->request_settings.request_timeout_ms, 3000);
}

TEST(OnlineSpecTest, DeploymentSpecErrorsNameTheField) {
  auto expect_bad = [](json spec, const std::string& field) {
    auto d = ParseDeploymentSpec(spec, "my-endpoint");
    ASSERT_FALSE(d.ok()) << spec.dump();
    EXPECT_NE(d.status().message().find(field), std::string::npos) << d.status().message();
  };
  json s = Deployment();
  s["endpoint_name"] = "other";
  expect_bad(s, "endpoint_name");
  s = Deployment();
  s.erase("model");
  expect_bad(s, "model");
  s = Deployment();
  s["instance_count"] = 0;
  expect_bad(s, "instance_count");
  s = Deployment();
  s["request_settings"]["request_timeout_ms"] = "fast";
  expect_bad(s, "request_timeout_ms");
  s = Deployment();
  s["code_configuration"]["scoring_script"] = "../x.py";
  expect_bad(s, "scoring_script");
  s = Deployment();
  s["model"] = "my-model";
  expect_bad(s, "model");
  s = Deployment();
  s["liveness_probe"] = {{"period", 0}};
  expect_bad(s, "liveness_probe.period");
}

}  // namespace
}  // namespace mlws::serving
