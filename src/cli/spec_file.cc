#include "cli/spec_file.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mlws/common/strings.h"

namespace mlws::cli {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct NotUtf8 {
  int line;
};

json Scalar(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (!IsValidUtf8(s)) throw NotUtf8{n.Mark().line + 1};
  if (n.Tag() == "!") return s;  // quoted
  if (s == "null" || s == "~" || s.empty()) return nullptr;
  if (s == "true" || s == "True") return true;
  if (s == "false" || s == "False") return false;
  if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '+' ||
                     s[0] == '.')) {
    try {
      size_t used = 0;
      long long v = std::stoll(s, &used);
      if (used == s.size()) return v;
      double d = std::stod(s, &used);
      if (used == s.size()) return d;
    } catch (...) {
    }
  }
  return s;
}

json Convert(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : n) {
        std::string key = kv.first.as<std::string>();
        if (!IsValidUtf8(key)) throw NotUtf8{kv.first.Mark().line + 1};
        out[key] = Convert(kv.second);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& e : n) out.push_back(Convert(e));
      return out;
    }
    case YAML::NodeType::Scalar: return Scalar(n);
    default: return nullptr;
  }
}

}  // namespace

StatusOr<json> YamlToJson(const std::string& text) {
  try {
    YAML::Node root = YAML::Load(text);
    return Convert(root);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " +
                           e.msg);
  } catch (const NotUtf8& e) {
    return InvalidArgument("invalid YAML at line " + std::to_string(e.line) +
                           ": text that is not valid UTF-8");
  }
}

Status ApplySets(json& spec, const std::vector<std::string>& sets) {
  for (const auto& s : sets) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("--set '" + s + "': use key=value (dotted keys for nested fields)");
    }
    auto value = YamlToJson(s.substr(eq + 1));
    if (!value.ok()) return InvalidArgument("--set '" + s + "': " + value.status().message());
    json* node = &spec;
    std::string key = s.substr(0, eq);
    size_t start = 0;
    for (;;) {
      size_t dot = key.find('.', start);
      std::string part =
          key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (part.empty()) return InvalidArgument("--set '" + s + "': empty key part");
      if (!node->is_object()) *node = json::object();
      node = &(*node)[part];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    *node = *value;
  }
  return Status::Ok();
}

StatusOr<SpecFile> LoadSpecFile(const std::string& path, const std::vector<std::string>& sets) {
  std::ifstream in(path);
  if (!in) return NotFound(path + ": no such file");
  std::stringstream ss;
  ss << in.rdbuf();
  auto parsed = YamlToJson(ss.str());
  if (!parsed.ok()) return InvalidArgument(path + ": " + parsed.status().message());
  if (!parsed->is_object()) return InvalidArgument(path + ": the spec must be a YAML mapping");
  SpecFile f;
  f.path = path;
  std::error_code ec;
  f.dir = fs::absolute(fs::path(path), ec).parent_path().string();
  f.spec = std::move(*parsed);
  RETURN_IF_ERROR(ApplySets(f.spec, sets));
  return f;
}

Status InlineCondaFile(const SpecFile& f, json& env) {
  if (!env.is_object() || !env.contains("conda_file") || !env["conda_file"].is_string()) {
    return Status::Ok();
  }
  std::string name = env["conda_file"].get<std::string>();
  std::string local = ResolveLocal(f, name);
  std::ifstream in(local);
  if (!in) {
    return NotFound("conda_file '" + name + "' does not exist (looked for " + local + ")");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto conda = YamlToJson(ss.str());
  if (!conda.ok()) return InvalidArgument("conda_file '" + name + "': " + conda.status().message());
  env["conda_file"] = *conda;
  return Status::Ok();
}

bool IsLocalPath(const std::string& p) {
  if (p.rfind("azureml:", 0) == 0) return false;
  size_t colon = p.find(':');
  if (colon == std::string::npos) return true;
  // "scheme:" with a plausible scheme name
  for (size_t i = 0; i < colon; ++i) {
    char c = p[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return true;
    }
  }
  return colon == 0;
}

std::string ResolveLocal(const SpecFile& f, const std::string& p) {
  fs::path q(p);
  if (q.is_absolute()) return q.lexically_normal().string();
  return (fs::path(f.dir) / q).lexically_normal().string();
}

}  // namespace mlws::cli
