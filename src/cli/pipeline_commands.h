// The pipeline side of `mlws job …`: preparing a pipeline spec (local component files inlined,
// local code and data uploaded), the steps table of `job show`, `job stream` with each line
// prefixed by its step, and `job download --all` of every step.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/client.h"
#include "cli/spec_file.h"
#include "mlws/common/status.h"

namespace mlws::cli {

bool IsPipeline(const nlohmann::json& job_or_spec);

// Inlines every step's local component file (`./c.yml`, `file:./c.yml`; its code and conda file
// relative to that file), uploads local code and input paths (relative to the pipeline file).
Status PreparePipelineSpec(const Globals& g, const SpecFile& f, nlohmann::json& spec);

// The steps: STEP, STATUS, DURATION, REUSED FROM, JOB.
void PrintSteps(const nlohmann::json& job, std::ostream& out);

// Follows every step's log until the pipeline ends, each line as "[step] line". Returns the final
// pipeline (nullopt on a failed call).
std::optional<nlohmann::json> StreamPipeline(const Globals& g, const std::string& jobs_path,
                                             const std::string& name, std::ostream& out);

// Downloads each step's files into <dest>/<step>/ (as `job download` of the step would). Returns
// the number of files, or -1 on a failed call.
int DownloadPipeline(const Globals& g, const std::string& jobs_path, const nlohmann::json& job,
                     const std::string& dest, const std::string& output_name);

// Downloads one job's files into dest/artifacts/… and dest/named-outputs/<o>/… (-1 on failure).
int DownloadJobFiles(const Globals& g, const std::string& jobs_path, const std::string& name,
                     const std::string& dest, const std::string& output_name);

}  // namespace mlws::cli
