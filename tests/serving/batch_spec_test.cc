// Batch endpoint and deployment specs: what is accepted, the defaults, and the message of what is
// not.
#include "mlws/serving/batch_spec.h"

#include <gtest/gtest.h>

namespace mlws::serving {
namespace {

using nlohmann::json;

json Deployment(json extra = json::object()) {
  json d = {{"name", "dep-a"}, {"model", "azureml:heart:1"}};
  for (auto& [k, v] : extra.items()) d[k] = v;
  return d;
}

std::string Error(const json& spec) {
  auto d = ParseBatchDeploymentSpec(spec, "ep-one");
  return d.ok() ? "" : d.status().message();
}

TEST(BatchSpecTest, TheExampleDeploymentParsesWithItsSettings) {
  json spec = Deployment({{"$schema", "x"},
                          {"endpoint_name", "ep-one"},
                          {"type", "model"},
                          {"compute", "azureml:batch-cluster"},
                          {"resources", {{"instance_count", 2}}},
                          {"settings",
                           {{"max_concurrency_per_instance", 2},
                            {"mini_batch_size", 2},
                            {"output_action", "append_row"},
                            {"output_file_name", "predictions.csv"},
                            {"retry_settings", {{"max_retries", 3}, {"timeout", 300}}},
                            {"error_threshold", -1},
                            {"logging_level", "INFO"}}}});
  auto d = ParseBatchDeploymentSpec(spec, "ep-one");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->compute, "batch-cluster");
  EXPECT_EQ(d->instance_count, 2);
  EXPECT_EQ(d->settings.max_concurrency_per_instance, 2);
  EXPECT_EQ(d->settings.mini_batch_size, 2);
  EXPECT_EQ(d->settings.timeout_s, 300);
  EXPECT_EQ(d->settings.error_threshold, -1);
  EXPECT_EQ(d->settings.logging_level, "info");
  EXPECT_TRUE(d->scoring_script.empty());
  auto back = BatchDeploymentFromJson(BatchDeploymentToJson(*d));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->settings.timeout_s, 300);
}

TEST(BatchSpecTest, DefaultsAndTheOlderTopLevelSettings) {
  auto d = ParseBatchDeploymentSpec(Deployment(), "ep-one");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->settings.mini_batch_size, 10);
  EXPECT_EQ(d->settings.max_retries, 3);
  EXPECT_EQ(d->settings.timeout_s, 30);
  EXPECT_EQ(d->settings.output_action, "append_row");
  auto top = ParseBatchDeploymentSpec(
      Deployment({{"mini_batch_size", "5"}, {"retry_settings", {{"max_retries", 0}}}}), "ep-one");
  ASSERT_TRUE(top.ok()) << top.status().ToString();
  EXPECT_EQ(top->settings.mini_batch_size, 5);
  EXPECT_EQ(top->settings.max_retries, 0);
}

TEST(BatchSpecTest, BadDeploymentsNameTheField) {
  EXPECT_NE(Error(Deployment({{"endpoint_name", "other"}})).find("endpoint_name"),
            std::string::npos);
  EXPECT_NE(Error(Deployment({{"settings", {{"mini_batch_size", "10kb"}}}})).find("by file"),
            std::string::npos);
  EXPECT_NE(Error(Deployment({{"settings", {{"output_action", "x"}}}})).find("output_action"),
            std::string::npos);
  EXPECT_NE(Error(Deployment({{"settings", {{"output_file_name", "a/b"}}}})).find("plain"),
            std::string::npos);
  EXPECT_NE(Error(Deployment({{"settings", {{"error_threshold", -2}}}})).find("error_threshold"),
            std::string::npos);
  EXPECT_NE(Error(Deployment({{"settings", {{"retry_settings", {{"timeout", 0}}}}}}))
                .find("retry_settings.timeout"),
            std::string::npos);
  EXPECT_NE(Error(Deployment({{"resources", {{"instance_count", 0}}}})).find("instance_count"),
            std::string::npos);
  EXPECT_NE(Error(Deployment({{"code_configuration", {{"code", "c"}}}})).find("scoring_script"),
            std::string::npos);
  EXPECT_NE(Error(Deployment({{"type", "pipeline"}})).find("'type'"), std::string::npos);
  EXPECT_NE(Error(Deployment({{"bogus", 1}})).find("unknown field 'bogus'"), std::string::npos);
  EXPECT_NE(Error(json{{"name", "dep-a"}}).find("'model' is required"), std::string::npos);
}

TEST(BatchSpecTest, EndpointsAndTheirUpdates) {
  auto e = ParseBatchEndpointSpec(
      json{{"name", "heart-classifier-batch"}, {"auth_mode", "aad_token"}, {"description", "d"}});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_FALSE(ParseBatchEndpointSpec(json{{"name", "ok-name"}, {"auth_mode", "key"}}).ok());
  EXPECT_FALSE(ParseBatchEndpointSpec(json{{"name", "x"}}).ok());
  auto u = ApplyBatchEndpointUpdate(*e, json{{"defaults", {{"deployment_name", "dep-a"}}}});
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->default_deployment, "dep-a");
  EXPECT_EQ(u->description, "d");
  EXPECT_FALSE(ApplyBatchEndpointUpdate(*e, json{{"name", "other-name"}}).ok());
  EXPECT_FALSE(ApplyBatchEndpointUpdate(*e, json{{"auth_mode", "aml_token"}}).ok());
}

}  // namespace
}  // namespace mlws::serving
