// Job specs: Azure ML's commandJob YAML (converted to JSON by the CLI) parsed into a JobSpec, and
// the ${{inputs.x}} / ${{outputs.y}} substitution of the command.
//
// ParseJobSpec validates everything that can be checked without the workspace: field names and
// types, the job type (pipeline and sweep are NotImplemented, anything else InvalidArgument),
// the command's references against the declared inputs and outputs. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::jobs {

struct InputSpec {
  std::string name;
  bool literal = true;
  std::string value;  // literal: the value as text (what is substituted and logged as a param)
  std::string type;   // literal: string|integer|number|boolean; else uri_file|uri_folder|mltable|
                      // custom_model|mlflow_model
  std::string path;   // non-literal: azureml:<name>:<v>, azureml://datastores/…, LocalUpload URI
  std::string mode;   // non-literal: ro_mount (default) | download | direct
};

struct OutputSpec {
  std::string name;
  std::string type = "uri_folder";  // uri_folder | uri_file | custom_model | mlflow_model
  std::string mode = "rw_mount";    // rw_mount | upload (same local meaning)
  std::string asset_name;           // register the output as this asset when the job completes
  std::string asset_version;        // "" = next version
  std::string description;
  std::string path;  // as written: azureml://datastores/<ds>/paths/<p> ("" = the default place);
                     // a uri_file output's path names its file
};

struct JobSpec {
  std::string name;  // "" = generated
  std::string display_name;
  std::string description;
  std::string experiment_name;  // "" = "Default"
  std::string command;
  std::string code;            // "" = none; else a datastore URI (the CLI uploads local folders)
  std::string compute;         // compute name without "azureml:"; "" = local
  nlohmann::json environment;  // string reference, inline object, or null
  std::map<std::string, std::string> environment_variables;
  std::map<std::string, std::string> tags;
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
  std::int64_t timeout_s = 0;
  int instance_count = 1;
  int priority = 0;                // queue_settings.priority: low=-1, medium=0, high=1
  std::vector<std::string> notes;  // cloud-only fields accepted with a local meaning (recorded)
};

StatusOr<JobSpec> ParseJobSpec(const nlohmann::json& spec);

// Values bound to ${{inputs.<name>}} and ${{outputs.<name>}}.
struct Bindings {
  std::map<std::string, std::string> inputs;
  std::map<std::string, std::string> outputs;
};

// Replaces every ${{inputs.x}} / ${{outputs.y}}. An optional block $[[ … ]] is kept (without
// the brackets) when every input it references is bound, and dropped otherwise. A reference to
// anything unbound outside an optional block is InvalidArgument naming it.
StatusOr<std::string> SubstituteCommand(const std::string& command, const Bindings& bindings);

// The datastore URI output `out` of job `job` is published to: its `path` with ${{name}} (the
// job), ${{output_name}} and ${{default_datastore}} replaced and trailing '/' dropped, else
// azureml://datastores/<default_datastore>/paths/azureml/<job>/<output>. For a uri_file output
// with a path this names the file; without one, the folder holding it.
std::string OutputUri(const OutputSpec& out, const std::string& job,
                      const std::string& default_datastore);

// Job and compute names: 1-255 of [A-Za-z0-9_-], starting with a letter or digit.
Status ValidateJobName(const std::string& name);
// "<adjective>_<noun>_<6 chars>" like Azure's generated names.
std::string GenerateJobName();

}  // namespace mlws::jobs
