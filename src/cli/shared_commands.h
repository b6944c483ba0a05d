// `--shared` and `grant|revoke` for the compute and datastore nouns (docs/shared-resources.md):
// server-scope resources under /api/v1/shared/<collection>, granted to workspaces.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/client.h"
#include "cli/verbs.h"

namespace mlws::cli {

// Adds `--shared` to `noun` and returns the path its verbs call: /api/v1/shared/<collection>
// with --shared, else workspace_path().
PathFn AddSharedFlag(CLI::App* noun, const std::string& collection, PathFn workspace_path);

// `<noun> grant NAME -w WS` and `<noun> revoke NAME -w WS`.
void AddGrantVerbs(CLI::App* noun, Globals& g, int& rc, const std::string& collection,
                   const std::string& what);

}  // namespace mlws::cli
