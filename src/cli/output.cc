#include "cli/output.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <iostream>

namespace mlws::cli {

using nlohmann::json;

namespace {

void EmitYaml(YAML::Emitter& out, const json& v) {
  if (v.is_object()) {
    out << YAML::BeginMap;
    for (auto it = v.begin(); it != v.end(); ++it) {
      out << YAML::Key << it.key() << YAML::Value;
      EmitYaml(out, *it);
    }
    out << YAML::EndMap;
  } else if (v.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& e : v) EmitYaml(out, e);
    out << YAML::EndSeq;
  } else if (v.is_string()) {
    out << YAML::DoubleQuoted << v.get<std::string>();
  } else if (v.is_null()) {
    out << YAML::Null;
  } else {
    out << v.dump();
  }
}

std::string Cell(const json& row, const std::string& pointer) {
  json::json_pointer p(pointer);
  if (!row.contains(p)) return "";
  const json& v = row.at(p);
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}
}  // namespace

void PrintResult(const std::string& format, const json& whole, const json& rows,
                 const std::vector<Column>& columns) {
  if (format == "json") {
    std::cout << whole.dump(2) << "\n";
    return;
  }
  if (format == "yaml") {
    YAML::Emitter out;
    EmitYaml(out, whole);
    std::cout << out.c_str() << "\n";
    return;
  }
  if (format == "csv") {  // the table's columns, RFC 4180 quoting
    auto field = [](const std::string& v) {
      if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
      std::string q = "\"";
      for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
      return q + "\"";
    };
    for (size_t i = 0; i < columns.size(); ++i) {
      std::cout << (i ? "," : "") << field(columns[i].title);
    }
    std::cout << "\n";
    for (const auto& r : rows.is_array() ? rows : json::array()) {
      for (size_t i = 0; i < columns.size(); ++i) {
        std::cout << (i ? "," : "") << field(Cell(r, columns[i].json_path));
      }
      std::cout << "\n";
    }
    return;
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> width;
  for (const auto& c : columns) width.push_back(c.title.size());
  if (rows.is_array()) {
    for (const auto& r : rows) {
      std::vector<std::string> line;
      for (size_t i = 0; i < columns.size(); ++i) {
        line.push_back(Cell(r, columns[i].json_path));
        width[i] = std::max(width[i], line.back().size());
      }
      cells.push_back(std::move(line));
    }
  }
  auto print_line = [&](const std::vector<std::string>& line) {
    for (size_t i = 0; i < line.size(); ++i) {
      std::cout << line[i];
      if (i + 1 < line.size()) std::cout << std::string(width[i] - line[i].size() + 2, ' ');
    }
    std::cout << "\n";
  };
  std::vector<std::string> titles;
  for (const auto& c : columns) titles.push_back(c.title);
  print_line(titles);
  for (const auto& l : cells) print_line(l);
}

}  // namespace mlws::cli
