// Rendering CLI results as JSON or as an aligned text table.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mlws::cli {

struct Column {
  std::string title;
  std::string json_path;  // JSON pointer into each row, e.g. "/info/run_id"
};

// Prints `rows` (a JSON array) as a table of `columns`, or `whole` as JSON / YAML when format
// is "json" / "yaml", or the table's columns as CSV when it is "csv".
void PrintResult(const std::string& format, const nlohmann::json& whole, const nlohmann::json& rows,
                 const std::vector<Column>& columns);

}  // namespace mlws::cli
