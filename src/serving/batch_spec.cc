// Batch endpoint and deployment specs (see include/mlws/serving/batch_spec.h).
#include "mlws/serving/batch_spec.h"

#include <fmt/format.h>

#include "mlws/serving/online_spec.h"
#include "serving/spec_fields.h"

namespace mlws::serving {

using nlohmann::json;

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BatchEndpoint, name, description, auth_mode,
                                                default_deployment, tags, created_ms, updated_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BatchSettings, max_concurrency_per_instance,
                                                mini_batch_size, output_action, output_file_name,
                                                max_retries, timeout_s, error_threshold,
                                                logging_level)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BatchDeployment, name, endpoint_name, description,
                                                model, environment, code, scoring_script, compute,
                                                instance_count, settings, environment_variables,
                                                tags, model_ref, model_type, provisioning_state,
                                                created_ms, updated_ms)

namespace {

using spec::CheckKnown;
using spec::Field;
using spec::IntIn;
using spec::OptString;
using spec::StringMap;

// mini_batch_size: Azure takes a number of files (or, for tabular data, a size such as "10kb";
// mlws splits files only, so a size is refused with that reason).
Status ParseMiniBatchSize(const json& s, int& out) {
  if (!s.contains("mini_batch_size") || s["mini_batch_size"].is_null()) return Status::Ok();
  json v = s["mini_batch_size"];
  if (v.is_string()) {
    std::string t = v.get<std::string>();
    if (t.empty() || t.size() > 6 || t.find_first_not_of("0123456789") != std::string::npos) {
      return Field("settings.mini_batch_size",
                   "must be a number of files (mlws splits by file, not by size); got '" + t + "'");
    }
    v = std::stoi(t);
  }
  json wrapped = {{"mini_batch_size", v}};
  return IntIn(wrapped, "settings.", "mini_batch_size", 1, 100000, out);
}

Status ParseSettings(const json& spec, BatchSettings& b) {
  if (!spec.contains("settings") || spec["settings"].is_null()) return Status::Ok();
  const json& s = spec["settings"];
  if (!s.is_object()) return Field("settings", "must be a mapping");
  RETURN_IF_ERROR(CheckKnown(
      s,
      {"max_concurrency_per_instance", "mini_batch_size", "output_action", "output_file_name",
       "retry_settings", "error_threshold", "logging_level", "environment_variables"},
      "modelBatchDeployment settings"));
  RETURN_IF_ERROR(
      IntIn(s, "settings.", "max_concurrency_per_instance", 1, 64, b.max_concurrency_per_instance));
  RETURN_IF_ERROR(ParseMiniBatchSize(s, b.mini_batch_size));
  ASSIGN_OR_RETURN(std::string action, OptString(s, "output_action"));
  if (!action.empty()) b.output_action = action;
  if (b.output_action != "append_row" && b.output_action != "summary_only") {
    return Field("settings.output_action",
                 "must be append_row or summary_only (got '" + b.output_action + "')");
  }
  ASSIGN_OR_RETURN(std::string file, OptString(s, "output_file_name"));
  if (!file.empty()) b.output_file_name = file;
  if (b.output_file_name.find('/') != std::string::npos || b.output_file_name == "." ||
      b.output_file_name == ".." || b.output_file_name.size() > 255) {
    return Field("settings.output_file_name", "must be a plain file name");
  }
  if (s.contains("retry_settings") && !s["retry_settings"].is_null()) {
    const json& r = s["retry_settings"];
    if (!r.is_object()) return Field("settings.retry_settings", "must be a mapping");
    RETURN_IF_ERROR(CheckKnown(r, {"max_retries", "timeout"}, "retry_settings"));
    RETURN_IF_ERROR(IntIn(r, "settings.retry_settings.", "max_retries", 0, 100, b.max_retries));
    RETURN_IF_ERROR(IntIn(r, "settings.retry_settings.", "timeout", 1, 86400, b.timeout_s));
  }
  RETURN_IF_ERROR(IntIn(s, "settings.", "error_threshold", -1, 1000000000, b.error_threshold));
  ASSIGN_OR_RETURN(std::string level, OptString(s, "logging_level"));
  if (!level.empty()) b.logging_level = level;
  for (char& c : b.logging_level)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (b.logging_level != "debug" && b.logging_level != "info" && b.logging_level != "warning" &&
      b.logging_level != "error" && b.logging_level != "critical") {
    return Field("settings.logging_level",
                 "must be debug, info, warning, error or critical (got '" + b.logging_level + "')");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<BatchEndpoint> ParseBatchEndpointSpec(const json& spec) {
  if (!spec.is_object()) return BadRequest("the endpoint spec must be a JSON object");
  RETURN_IF_ERROR(CheckKnown(
      spec, {"$schema", "name", "description", "auth_mode", "tags", "defaults", "identity"},
      "batchEndpoint"));
  BatchEndpoint e;
  ASSIGN_OR_RETURN(e.name, OptString(spec, "name"));
  if (e.name.empty()) return Field("name", "is required");
  RETURN_IF_ERROR(ValidateName("endpoint", e.name));
  ASSIGN_OR_RETURN(e.description, OptString(spec, "description"));
  ASSIGN_OR_RETURN(std::string mode, OptString(spec, "auth_mode"));
  if (!mode.empty()) e.auth_mode = mode;
  if (e.auth_mode != "aad_token" && e.auth_mode != "aml_token") {
    return Field("auth_mode", "must be aad_token or aml_token (got '" + e.auth_mode + "')");
  }
  ASSIGN_OR_RETURN(e.tags, StringMap(spec, "tags"));
  if (spec.contains("defaults") && !spec["defaults"].is_null()) {
    if (!spec["defaults"].is_object()) return Field("defaults", "must be a mapping");
    RETURN_IF_ERROR(CheckKnown(spec["defaults"], {"deployment_name"}, "batchEndpoint defaults"));
    ASSIGN_OR_RETURN(e.default_deployment, OptString(spec["defaults"], "deployment_name"));
  }
  return e;
}

StatusOr<BatchEndpoint> ApplyBatchEndpointUpdate(const BatchEndpoint& base, const json& spec) {
  if (!spec.is_object()) return BadRequest("the endpoint spec must be a JSON object");
  json merged = {{"name", base.name},
                 {"description", base.description},
                 {"auth_mode", base.auth_mode},
                 {"tags", base.tags}};
  if (!base.default_deployment.empty()) {
    merged["defaults"] = {{"deployment_name", base.default_deployment}};
  }
  for (const auto& [k, v] : spec.items()) {
    if (k == "name" && v != json(base.name)) {
      return Field("name", "cannot change (it is '" + base.name + "')");
    }
    if (k == "auth_mode" && v.is_string() && v.get<std::string>() != base.auth_mode) {
      return Field("auth_mode", "cannot change after creation (it is '" + base.auth_mode + "')");
    }
    if (k == "default_deployment" || k == "scoring_uri" || k == "provisioning_state") continue;
    merged[k] = v;
  }
  ASSIGN_OR_RETURN(BatchEndpoint e, ParseBatchEndpointSpec(merged));
  e.created_ms = base.created_ms;
  return e;
}

StatusOr<BatchDeployment> ParseBatchDeploymentSpec(const json& spec, const std::string& endpoint) {
  if (!spec.is_object()) return BadRequest("the deployment spec must be a JSON object");
  RETURN_IF_ERROR(CheckKnown(spec,
                             {"$schema",
                              "name",
                              "endpoint_name",
                              "description",
                              "type",
                              "model",
                              "code_configuration",
                              "environment",
                              "compute",
                              "resources",
                              "settings",
                              "environment_variables",
                              "tags",
                              "max_concurrency_per_instance",
                              "mini_batch_size",
                              "output_action",
                              "output_file_name",
                              "retry_settings",
                              "error_threshold",
                              "logging_level"},
                             "modelBatchDeployment"));
  BatchDeployment d;
  ASSIGN_OR_RETURN(d.name, OptString(spec, "name"));
  if (d.name.empty()) return Field("name", "is required");
  RETURN_IF_ERROR(ValidateName("deployment", d.name));
  ASSIGN_OR_RETURN(d.endpoint_name, OptString(spec, "endpoint_name"));
  if (!d.endpoint_name.empty() && d.endpoint_name != endpoint) {
    return Field("endpoint_name",
                 fmt::format("is '{}' but the deployment is created in endpoint '{}'",
                             d.endpoint_name, endpoint));
  }
  d.endpoint_name = endpoint;
  ASSIGN_OR_RETURN(d.description, OptString(spec, "description"));
  ASSIGN_OR_RETURN(std::string type, OptString(spec, "type"));
  if (!type.empty() && type != "model") {
    return Field("type", "must be 'model' (pipeline component deployments are not supported)");
  }
  RETURN_IF_ERROR(spec::ParseModel(spec, d.model));
  RETURN_IF_ERROR(spec::ParseCodeAndEnvironment(spec, d.code, d.scoring_script, d.environment));
  ASSIGN_OR_RETURN(d.compute, OptString(spec, "compute"));
  if (d.compute.rfind("azureml:", 0) == 0) d.compute = d.compute.substr(8);
  if (spec.contains("resources") && !spec["resources"].is_null()) {
    if (!spec["resources"].is_object()) return Field("resources", "must be a mapping");
    RETURN_IF_ERROR(CheckKnown(spec["resources"], {"instance_count", "instance_type", "properties"},
                               "resources"));
    RETURN_IF_ERROR(
        IntIn(spec["resources"], "resources.", "instance_count", 1, 16, d.instance_count));
  }
  // The older top-level form of the settings (CLI v2 before `settings:`) is taken too.
  json settings = spec.contains("settings") ? spec["settings"] : json(nullptr);
  for (const char* k : {"max_concurrency_per_instance", "mini_batch_size", "output_action",
                        "output_file_name", "retry_settings", "error_threshold", "logging_level"}) {
    if (!spec.contains(k)) continue;
    if (settings.is_null()) settings = json::object();
    if (settings.is_object()) settings[k] = spec[k];
  }
  RETURN_IF_ERROR(ParseSettings(json{{"settings", settings}}, d.settings));
  ASSIGN_OR_RETURN(d.environment_variables, StringMap(spec, "environment_variables"));
  if (settings.is_object()) {
    ASSIGN_OR_RETURN(auto more, StringMap(settings, "environment_variables"));
    d.environment_variables.insert(more.begin(), more.end());
  }
  ASSIGN_OR_RETURN(d.tags, StringMap(spec, "tags"));
  return d;
}

json BatchEndpointToJson(const BatchEndpoint& e) { return json(e); }

StatusOr<BatchEndpoint> BatchEndpointFromJson(const json& j) {
  return spec::FromStored<BatchEndpoint>(j, "batch endpoint");
}

json BatchDeploymentToJson(const BatchDeployment& d) { return json(d); }

StatusOr<BatchDeployment> BatchDeploymentFromJson(const json& j) {
  return spec::FromStored<BatchDeployment>(j, "batch deployment");
}

}  // namespace mlws::serving
