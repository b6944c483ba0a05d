// Value types of the MLflow model registry: registered models and their versions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlws/tracking/entities.h"

namespace mlws::assets {

struct ModelVersion {
  std::string name;
  std::int64_t version = 0;
  std::int64_t creation_timestamp = 0;
  std::int64_t last_updated_timestamp = 0;
  std::string user_id;
  std::string current_stage = "None";  // None | Staging | Production | Archived
  std::string description;
  std::string source;
  std::string run_id;  // lineage: the run that produced it (may be empty)
  std::string run_link;
  std::string status = "READY";
  std::vector<tracking::KeyValue> tags;
  std::vector<std::string> aliases;
};

struct ModelAlias {
  std::string alias;
  std::int64_t version = 0;
};

struct RegisteredModel {
  std::string name;
  std::int64_t creation_timestamp = 0;
  std::int64_t last_updated_timestamp = 0;
  std::string user_id;
  std::string description;
  std::vector<ModelVersion> latest_versions;  // the latest version of each stage
  std::vector<tracking::KeyValue> tags;
  std::vector<ModelAlias> aliases;
};

}  // namespace mlws::assets
