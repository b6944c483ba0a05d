// Value types of the workspace's versioned assets (Azure ML's model, data, environment and
// component assets) and of datastores.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlws::assets {

enum class AssetKind { kModel, kData, kEnvironment, kComponent };

// "models" | "data" | "environments" | "components" (the REST collection names).
const char* CollectionName(AssetKind kind);
// "model" | "data" | "environment" | "component" (CLI nouns, reference kinds).
const char* KindName(AssetKind kind);
// Accepts the collection name or the kind name.
std::optional<AssetKind> ParseAssetKind(const std::string& s);

struct Asset {
  AssetKind kind = AssetKind::kData;
  std::string name;
  std::string version;
  // model: custom_model | mlflow_model | triton_model; data: uri_file | uri_folder | mltable;
  // environment: "environment"; component: command
  std::string type;
  std::string description;
  std::map<std::string, std::string> tags;
  std::map<std::string, std::string> properties;
  // Where the files are: azureml://datastores/<ds>/paths/<p>, https://…, wasbs://…, or empty
  // (environments and components without files).
  std::string path;
  std::string spec_json;      // the whole validated spec as JSON (kind-specific fields included)
  std::string content_hash;   // of uploaded files (LocalUpload/<hash>), "" otherwise
  std::string source_run_id;  // the run that produced it (lineage), "" if none
  bool archived = false;
  std::int64_t created_at = 0;  // ms since epoch
  std::int64_t updated_at = 0;
  std::string created_by;
  std::int64_t seq = 0;  // creation order among the versions of one name ("latest" = highest)
};

struct Datastore {
  std::string name;
  std::string type;  // local | s3
  std::string description;
  bool is_default = false;
  std::string spec_json;  // type-specific: {"path"} or {"bucket","prefix","endpoint_url",
                          // "credentials_secret"}
  std::int64_t created_at = 0;
  std::string created_by;
};

struct RunRef {
  std::string run_id;
  std::string experiment_id;
  std::string run_name;
  std::string status;
};

}  // namespace mlws::assets
