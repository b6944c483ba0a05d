// `mlws online-endpoint …` and `mlws online-deployment …`, as `az ml`.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/output.h"
#include "cli/spec_file.h"

namespace mlws::cli {

void AddEndpointCommands(CLI::App& app, Globals& g, int& rc);
// `mlws batch-endpoint …` and `mlws batch-deployment …` (batch_endpoint_commands.cc).
void AddBatchEndpointCommands(CLI::App& app, Globals& g, int& rc);

// Shared by both: one resource as `key: value` lines (table) or as -o json|yaml.
void PrintOne(const Globals& g, const nlohmann::json& item, const std::vector<Column>& cols);
// Prints "error: <message>" and sets rc = 1.
void Fail(int& rc, const Status& st);
// The spec of `create`/`update`: from -f (with --set) or, without a file, from --set alone.
StatusOr<SpecFile> SpecOf(const std::string& file, const std::vector<std::string>& sets,
                          bool file_required);
// `show -n`, `list` and `delete -n` of an endpoint kind ("batch endpoint", "online endpoint"):
// GET/DELETE one(name), GET many() and print its "value". Returns `delete` for extra flags.
CLI::App* AddEndpointShowListDelete(CLI::App* ep, Globals& g, int& rc, std::string& name, bool& yes,
                                    const std::string& noun,
                                    std::function<std::string(const std::string&)> one,
                                    std::function<std::string()> many,
                                    const std::vector<Column>& cols);
// Uploads a deployment spec's local model and code folders; inlines its conda file.
Status PrepareDeployment(const Globals& g, SpecFile& f);

}  // namespace mlws::cli
