// Builders for the CLI verbs every noun repeats: list, show, delete. Each calls the server
// through Call() and sets `rc` to 1 on failure. Option storage is owned by these helpers and
// lives as long as the process.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/output.h"

namespace mlws::cli {

using PathFn = std::function<std::string()>;

// `<noun> list`: GET path(), print the array `key` with `columns`.
void AddListVerb(CLI::App* noun, Globals& g, int& rc, const std::string& help, PathFn path,
                 const std::string& key, std::vector<Column> columns);

// `<noun> show ARG`: the item of list endpoint path() whose `field` equals ARG.
void AddShowVerb(CLI::App* noun, Globals& g, int& rc, PathFn path, const std::string& key,
                 const std::string& field, const std::string& what);

// `<noun> <verb> ARG`: DELETE path() + "/" + ARG (escaped); prints "<done> <what> ARG".
void AddDeleteVerb(CLI::App* noun, Globals& g, int& rc, const std::string& verb,
                   const std::string& help, PathFn path, const std::string& arg_name,
                   const std::string& done, const std::string& what);

}  // namespace mlws::cli
