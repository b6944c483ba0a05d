// Batch endpoints and deployments: the value types, their Azure ML YAML specs (batchEndpoint,
// modelBatchDeployment) and their stored JSON forms.
//
// ParseBatch* validate a spec completely and return InvalidArgument naming the field; nothing
// else is looked up (models, code, environments and computes are resolved by BatchService).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "mlws/common/status.h"

namespace mlws::serving {

struct BatchEndpoint {
  std::string name;
  std::string description;
  std::string auth_mode = "aad_token";  // accepted for Azure compatibility: workspace tokens
  std::string default_deployment;       // "" = none yet
  std::map<std::string, std::string> tags;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

// The `settings` of a modelBatchDeployment (docs/endpoints.md names every limit).
struct BatchSettings {
  int max_concurrency_per_instance = 1;      // 1..64
  int mini_batch_size = 10;                  // files per mini-batch, 1..100000
  std::string output_action = "append_row";  // append_row | summary_only
  std::string output_file_name = "predictions.csv";
  int max_retries = 3;       // retry_settings.max_retries, 0..100: tries = 1 + max_retries
  int timeout_s = 30;        // retry_settings.timeout: seconds per mini-batch try, 1..86400
  int error_threshold = -1;  // failed files tolerated; -1 = any number
  std::string logging_level = "info";  // debug | info | warning | error | critical
};

struct BatchDeployment {
  std::string name;
  std::string endpoint_name;
  std::string description;
  nlohmann::json model;        // "azureml:n:v" / "azureml:n@latest" or {"path": ..., "type": ...}
  nlohmann::json environment;  // as submitted (null = none)
  std::string code;            // code_configuration.code: a datastore URI ("" = none)
  std::string scoring_script;  // the driver ("" = an MLflow model scored without a driver)
  std::string compute;         // without "azureml:" ("" = local)
  int instance_count = 1;      // resources.instance_count, 1..16
  BatchSettings settings;
  std::map<std::string, std::string> environment_variables;
  std::map<std::string, std::string> tags;
  // Set by the service.
  std::string model_ref;   // what the jobs use: "azureml:n:v" or a datastore URI
  std::string model_type;  // custom_model | mlflow_model
  std::string provisioning_state = "Succeeded";
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

StatusOr<BatchEndpoint> ParseBatchEndpointSpec(const nlohmann::json& spec);
// The fields an update may change (description, tags, defaults.deployment_name), onto `base`.
StatusOr<BatchEndpoint> ApplyBatchEndpointUpdate(const BatchEndpoint& base,
                                                 const nlohmann::json& spec);
// `endpoint` is the URL's endpoint name (a spec's endpoint_name, when given, must match it).
StatusOr<BatchDeployment> ParseBatchDeploymentSpec(const nlohmann::json& spec,
                                                   const std::string& endpoint);

nlohmann::json BatchEndpointToJson(const BatchEndpoint& e);
StatusOr<BatchEndpoint> BatchEndpointFromJson(const nlohmann::json& j);
nlohmann::json BatchDeploymentToJson(const BatchDeployment& d);
StatusOr<BatchDeployment> BatchDeploymentFromJson(const nlohmann::json& j);

}  // namespace mlws::serving
