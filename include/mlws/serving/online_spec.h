// Online endpoints and deployments: the value types, their Azure ML YAML specs
// (managedOnlineEndpoint, managedOnlineDeployment) and their stored/rendered JSON forms.
//
// Parse* validate a spec completely and return InvalidArgument naming the field; nothing else
// is looked up (references to models, code and environments are resolved by the service).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::serving {

using Traffic = std::map<std::string, int>;  // deployment name -> percent

struct OnlineEndpoint {
  std::string name;
  std::string description;
  std::string auth_mode = "key";  // "key" | "aml_token"
  Traffic traffic;
  Traffic mirror_traffic;
  std::map<std::string, std::string> tags;
  std::string primary_key;
  std::string secondary_key;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

struct RequestSettings {
  int request_timeout_ms = 5000;
  int max_concurrent_requests_per_instance = 1;
  int max_queue_wait_ms = 500;
};

struct ProbeSettings {
  int initial_delay_s = 10;
  int period_s = 10;
  int timeout_s = 2;
  int failure_threshold = 30;
  int success_threshold = 1;
};

// A running (or starting) process of a deployment, as persisted so a restarted server adopts it.
struct InstanceRecord {
  int generation = 0;
  int index = 0;
  std::int64_t supervisor_pid = 0;
  std::int64_t supervisor_start = 0;
  std::int64_t process_pid = 0;
  std::string dir;  // the instance folder (socket, log, exit file)
};

struct OnlineDeployment {
  std::string name;
  std::string endpoint_name;
  std::string description;
  nlohmann::json model;        // as submitted: "azureml:n:v" or {"path": ..., "type": ...}
  nlohmann::json environment;  // as submitted (null = the host's python3)
  std::string code;            // code_configuration.code: a datastore URI ("" = none)
  std::string scoring_script;  // code_configuration.scoring_script ("" = no-code MLflow model)
  std::string instance_type;
  int instance_count = 1;
  RequestSettings request_settings;
  ProbeSettings liveness_probe;
  ProbeSettings readiness_probe;
  std::map<std::string, std::string> environment_variables;
  std::map<std::string, std::string> tags;
  // Set by the service.
  std::string model_ref;     // what was resolved ("azureml:n:v" or a datastore URI)
  std::string model_type;    // custom_model | mlflow_model
  std::string model_local;   // local folder of the model's files
  std::string model_folder;  // name of the model's folder under AZUREML_MODEL_DIR
  std::string code_local;
  std::string environment_ref;
  std::string env_bin_dir;  // the built environment's bin/ ("" = the host's python3)
  std::string provisioning_state = "Creating";  // Creating Updating Succeeded Failed Deleting
  std::string error;
  int generation = 0;  // bumped by every update: instances of older generations are retired
  std::vector<InstanceRecord> instances;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

// Names: 3-32 characters, letters, digits and '-', starting with a letter, not ending in '-'
// (Azure's rule for endpoint and deployment names).
Status ValidateName(const std::string& what, const std::string& name);

// `traffic` as a mapping {"blue": 90} or as the CLI's string "blue=90 green=10".
StatusOr<Traffic> ParseTraffic(const std::string& field, const nlohmann::json& traffic);

StatusOr<OnlineEndpoint> ParseEndpointSpec(const nlohmann::json& spec);
// The fields an update may change, applied onto `base` (name and auth_mode are fixed).
StatusOr<OnlineEndpoint> ApplyEndpointUpdate(const OnlineEndpoint& base,
                                             const nlohmann::json& spec);
// Traffic sums to 0 or 100 over existing deployments; mirror percentages are 0-50 each, name
// existing deployments and none of them takes live traffic.
Status ValidateTraffic(const Traffic& traffic, const Traffic& mirror,
                       const std::vector<std::string>& deployments);

// `endpoint` is the URL's endpoint name (a spec's endpoint_name, when given, must match it).
StatusOr<OnlineDeployment> ParseDeploymentSpec(const nlohmann::json& spec,
                                               const std::string& endpoint);

// Stored forms: every field, keys included (handlers remove the keys before rendering).
nlohmann::json EndpointToJson(const OnlineEndpoint& e);
StatusOr<OnlineEndpoint> EndpointFromJson(const nlohmann::json& j);
nlohmann::json DeploymentToJson(const OnlineDeployment& d);
StatusOr<OnlineDeployment> DeploymentFromJson(const nlohmann::json& j);

}  // namespace mlws::serving
