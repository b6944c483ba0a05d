// Azure ML style YAML specs for `mlws <noun> create -f`: parsing into JSON, `--set` overrides,
// and paths relative to the spec's folder.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::cli {

struct SpecFile {
  std::string path;  // as given
  std::string dir;   // absolute folder of the file (relative paths start here)
  nlohmann::json spec;
};

// Parses `path` (YAML; a mapping at the top) and applies `sets` ("a.b=value", value parsed as a
// YAML scalar). Errors name the file (and line for YAML syntax errors).
StatusOr<SpecFile> LoadSpecFile(const std::string& path, const std::vector<std::string>& sets);

// Applies `sets` ("a.b=value", value parsed as a YAML scalar) onto `spec`.
Status ApplySets(nlohmann::json& spec, const std::vector<std::string>& sets);

// YAML text -> JSON (quoted scalars stay strings; plain scalars become numbers/bools/null where
// they look like one).
StatusOr<nlohmann::json> YamlToJson(const std::string& text);

// An environment mapping whose `conda_file` names a local YAML file: the file's content replaces
// the name (as Azure ML's CLI sends it). Errors name the file looked for.
Status InlineCondaFile(const SpecFile& f, nlohmann::json& env);

// True for paths on this machine: not a URI ("scheme:") and not an azureml: reference.
bool IsLocalPath(const std::string& p);
// `p` relative to the spec's folder unless absolute.
std::string ResolveLocal(const SpecFile& f, const std::string& p);

}  // namespace mlws::cli
