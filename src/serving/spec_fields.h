// Field readers shared by the online and batch spec parsers (online_spec.cc, batch_spec.cc):
// each returns InvalidArgument naming the field. Internal to src/serving/.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "mlws/common/status.h"
#include "mlws/jobs/job_spec.h"

namespace mlws::serving::spec {

inline Status Field(const std::string& field, const std::string& why) {
  return InvalidArgument(fmt::format("'{}' {}", field, why));
}

inline StatusOr<std::string> OptString(const nlohmann::json& spec, const std::string& key) {
  if (!spec.contains(key) || spec[key].is_null()) return std::string();
  if (!spec[key].is_string()) return Field(key, "must be a string");
  return spec[key].get<std::string>();
}

inline StatusOr<std::map<std::string, std::string>> StringMap(const nlohmann::json& spec,
                                                              const std::string& key) {
  std::map<std::string, std::string> out;
  if (!spec.contains(key) || spec[key].is_null()) return out;
  if (!spec[key].is_object()) return Field(key, "must be a mapping");
  for (const auto& [k, v] : spec[key].items()) {
    if (v.is_string()) {
      out[k] = v.get<std::string>();
    } else if (v.is_number() || v.is_boolean()) {
      out[k] = v.dump();
    } else {
      return Field(key + "." + k, "must be a string");
    }
  }
  return out;
}

// An integer field within [lo, hi].
inline Status IntIn(const nlohmann::json& obj, const std::string& prefix, const char* key, int lo,
                    int hi, int& out) {
  if (!obj.contains(key) || obj[key].is_null()) return Status::Ok();
  const nlohmann::json& v = obj[key];
  if (!v.is_number_integer()) return Field(prefix + key, "must be an integer");
  auto n = v.get<std::int64_t>();
  if (n < lo || n > hi) return Field(prefix + key, fmt::format("must be within {}..{}", lo, hi));
  out = static_cast<int>(n);
  return Status::Ok();
}

inline Status CheckKnown(const nlohmann::json& spec, const std::set<std::string>& known,
                         const std::string& what) {
  for (const auto& [k, v] : spec.items()) {
    if (!known.count(k)) {
      return InvalidArgument(fmt::format("unknown field '{}' in the {} spec", k, what));
    }
  }
  return Status::Ok();
}

// `model`: "azureml:<name>:<version>" or a mapping with `path` (and an optional `type`).
inline Status ParseModel(const nlohmann::json& spec, nlohmann::json& model) {
  if (!spec.contains("model") || spec["model"].is_null()) return Field("model", "is required");
  model = spec["model"];
  const char* form = "must be azureml:<name>:<version> or a mapping with 'path'";
  if (model.is_string()) {
    if (model.get<std::string>().rfind("azureml:", 0) != 0) return Field("model", form);
  } else if (!model.is_object() || !model.contains("path") || !model["path"].is_string()) {
    return Field("model", form);
  }
  if (model.is_object() && model.contains("type") && model["type"].is_string()) {
    std::string t = model["type"].get<std::string>();
    if (t != "custom_model" && t != "mlflow_model") {
      return Field("model.type", "must be custom_model or mlflow_model (got '" + t + "')");
    }
  }
  return Status::Ok();
}

// `code_configuration` {code, scoring_script} (both required when it is present) and
// `environment` (a reference or a mapping).
inline Status ParseCodeAndEnvironment(const nlohmann::json& spec, std::string& code,
                                      std::string& script, nlohmann::json& environment) {
  if (spec.contains("code_configuration") && !spec["code_configuration"].is_null()) {
    const nlohmann::json& cc = spec["code_configuration"];
    if (!cc.is_object()) return Field("code_configuration", "must be a mapping");
    ASSIGN_OR_RETURN(code, OptString(cc, "code"));
    ASSIGN_OR_RETURN(script, OptString(cc, "scoring_script"));
    if (script.empty()) return Field("code_configuration.scoring_script", "is required");
    if (script.find("..") != std::string::npos || script[0] == '/') {
      return Field("code_configuration.scoring_script", "must be a path inside 'code'");
    }
    if (code.empty()) return Field("code_configuration.code", "is required");
  }
  if (spec.contains("environment")) environment = spec["environment"];
  if (!environment.is_null() && !environment.is_string() && !environment.is_object()) {
    return Field("environment", "must be a reference or a mapping");
  }
  return Status::Ok();
}

// A deployment's `model` (as ParseModel accepted it) as the job input the assets resolve: the
// path must be a datastore URI (the CLI uploads local folders) or an azureml: reference.
inline StatusOr<jobs::InputSpec> ModelInput(const nlohmann::json& model) {
  jobs::InputSpec in;
  in.name = "model";
  in.literal = false;
  in.type = "custom_model";
  if (model.is_string()) {
    in.path = model.get<std::string>();
  } else {
    in.path = model["path"].get<std::string>();
    if (model.contains("type") && model["type"].is_string()) {
      in.type = model["type"].get<std::string>();
    }
  }
  if (in.path.rfind("azureml:", 0) != 0) {
    return InvalidArgument(
        "'model.path' must be a datastore URI (azureml://datastores/<ds>/paths/<p>; the CLI "
        "uploads local folders) or an azureml:<name>:<version> reference; got '" +
        in.path + "'");
  }
  return in;
}

// The stored form back; the one place a json exception is turned into a Status.
template <typename T>
StatusOr<T> FromStored(const nlohmann::json& j, const char* what) {
  try {
    return j.get<T>();
  } catch (const nlohmann::json::exception& ex) {
    return Internal(fmt::format("stored {} is malformed: {}", what, ex.what()));
  }
}

}  // namespace mlws::serving::spec
