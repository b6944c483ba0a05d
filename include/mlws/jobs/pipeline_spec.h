// Pipeline specs: Azure ML's pipelineJob YAML (converted to JSON by the CLI, which also inlines
// local component files and uploads local paths) parsed into a PipelineSpec, the whole graph
// validated before anything runs, and the command job spec of one step built from it.
//
// ParsePipelineSpec checks everything that can be checked without the workspace: field names
// and types, every step's component (registered ones are fetched through `resolve`), every
// binding (${{parent.inputs.x}}, ${{parent.jobs.<step>.outputs.<o>}}, ${{parent.outputs.<o>}}),
// typed inputs (coerced, min/max/enum checked), required inputs bound, no cycle. Errors are
// InvalidArgument naming the step and the field ("jobs.train.inputs.lr: ..."); a component that
// cannot be found is NotFound naming the step. Pure functions, thread-safe.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::jobs {

// One input of a step, after ${{parent.inputs.x}} was replaced by the pipeline's input.
struct StepInput {
  enum class Kind { kLiteral, kPath, kStepOutput };
  std::string name;
  Kind kind = Kind::kLiteral;
  std::string type;    // the declared (or inferred) type: integer|number|string|boolean|uri_*…
  std::string value;   // kLiteral: the coerced value as text
  std::string path;    // kPath: datastore URI / asset reference
  std::string mode;    // kPath / kStepOutput: ro_mount (default) | download | direct
  std::string step;    // kStepOutput: the producing step
  std::string output;  // kStepOutput: its output
  std::string bound_from;  // "parent.inputs.x" when it came from the pipeline's inputs
};

struct StepOutput {
  std::string name;
  std::string type = "uri_folder";
  std::string mode = "rw_mount";
  std::string asset_name;     // register as this data asset ("" = not registered)
  std::string asset_version;  // "" = next version
  std::string path;           // as written (names a uri_file output's file)
  std::string parent_output;  // bound to ${{parent.outputs.<this>}} ("" = not bound)
};

struct PipelineStep {
  std::string name;
  std::string display_name;
  std::string component;  // "azureml:<name>:<version>" of a registered component, "inline",
                          // or the component's own name:version for an inlined file
  std::string command;
  nlohmann::json environment;  // reference string, inline object, or null
  std::string code;            // datastore URI or ""
  std::string compute;         // without "azureml:"
  std::map<std::string, std::string> environment_variables;
  std::int64_t timeout_s = 0;
  std::vector<StepInput> inputs;
  std::vector<StepOutput> outputs;
  std::set<std::string> depends_on;  // steps whose outputs it reads
  bool deterministic = true;         // the component's is_deterministic
  bool force_rerun = false;          // the step's (or the pipeline's) force_rerun
};

struct PipelineSettings {
  std::string default_compute;  // "" = local
  std::string default_datastore;
  nlohmann::json default_environment;
  bool continue_on_step_failure = false;
  bool force_rerun = false;
};

struct PipelineSpec {
  std::string name;  // "" = generated
  std::string display_name;
  std::string description;
  std::string experiment_name;
  std::map<std::string, std::string> tags;
  std::map<std::string, std::string> literal_inputs;  // logged as the pipeline run's params
  nlohmann::json outputs = nlohmann::json::object();  // pipeline outputs as declared
  PipelineSettings settings;
  std::vector<PipelineStep> steps;  // in dependency order (a step after what it reads)
  std::vector<std::string> notes;   // fields accepted with no local meaning
};

// Fetches a registered component's spec ("azureml:name:version", "azureml:name@latest",
// "azureml://registries/…/components/…"): the asset's spec JSON, with its version filled in.
using ComponentResolver = std::function<StatusOr<nlohmann::json>(const std::string& ref)>;

// The literal type a scalar YAML value has: "string", "boolean", "integer" or "number" (what a
// command job's or a pipeline's input written as a bare value is).
std::string LiteralTypeOf(const nlohmann::json& scalar);

// True when `spec` says `type: pipeline`.
bool IsPipelineSpec(const nlohmann::json& spec);

StatusOr<PipelineSpec> ParsePipelineSpec(const nlohmann::json& spec,
                                         const ComponentResolver& resolve);

// The command job spec of `step` (validated by ParseJobSpec when the pipeline was parsed), its
// step-output inputs bound to `upstream` ("<step>.<output>" -> datastore URI).
nlohmann::json StepJobSpec(const PipelineSpec& pipeline, const PipelineStep& step,
                           const std::map<std::string, std::string>& upstream);

}  // namespace mlws::jobs
