#include "assets/asset_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "mlws/common/json.h"

namespace mlws::assets {

namespace {

using nlohmann::json;

const std::set<std::string>& KnownFields(AssetKind kind) {
  static const std::set<std::string> kModel = {
      "$schema", "name",    "version", "description", "tags",      "properties",           "type",
      "path",    "flavors", "stage",   "job_name",    "datastore", "intellectual_property"};
  static const std::set<std::string> kData = {"$schema",
                                              "name",
                                              "version",
                                              "description",
                                              "tags",
                                              "properties",
                                              "type",
                                              "path",
                                              "datastore",
                                              "auto_delete_setting",
                                              "intellectual_property"};
  static const std::set<std::string> kEnvironment = {"$schema",
                                                     "name",
                                                     "version",
                                                     "description",
                                                     "tags",
                                                     "properties",
                                                     "image",
                                                     "conda_file",
                                                     "build",
                                                     "os_type",
                                                     "inference_config",
                                                     "datastore",
                                                     "intellectual_property",
                                                     "pip_requirements"};
  static const std::set<std::string> kComponent = {"$schema",
                                                   "name",
                                                   "version",
                                                   "display_name",
                                                   "description",
                                                   "tags",
                                                   "properties",
                                                   "type",
                                                   "inputs",
                                                   "outputs",
                                                   "code",
                                                   "environment",
                                                   "command",
                                                   "resources",
                                                   "distribution",
                                                   "environment_variables",
                                                   "is_deterministic",
                                                   "additional_includes",
                                                   "instance_count",
                                                   "intellectual_property"};
  switch (kind) {
    case AssetKind::kModel: return kModel;
    case AssetKind::kData: return kData;
    case AssetKind::kEnvironment: return kEnvironment;
    case AssetKind::kComponent: return kComponent;
  }
  return kData;
}

// Scalars become strings (YAML `version: 1`, tag values that are numbers).
StatusOr<std::string> ScalarString(const json& v, const std::string& field) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number() || v.is_boolean()) return v.dump();
  return InvalidArgument(fmt::format("field '{}' must be a string", field));
}

StatusOr<std::map<std::string, std::string>> StringMap(const json& spec, const std::string& field) {
  std::map<std::string, std::string> out;
  auto it = spec.find(field);
  if (it == spec.end() || it->is_null()) return out;
  if (!it->is_object()) return InvalidArgument(fmt::format("field '{}' must be a mapping", field));
  for (auto e = it->begin(); e != it->end(); ++e) {
    if (e.key().empty() || e.key().size() > 256) {
      return InvalidArgument(fmt::format("{} keys must be 1 to 256 characters", field));
    }
    if (e->is_null()) {
      out[e.key()] = "";
      continue;
    }
    ASSIGN_OR_RETURN(std::string v, ScalarString(*e, field + "." + e.key()));
    if (v.size() > 5000) {
      return InvalidArgument(fmt::format("{}.{} is longer than 5000 characters", field, e.key()));
    }
    out[e.key()] = v;
  }
  return out;
}

StatusOr<std::string> OptionalString(const json& spec, const std::string& field) {
  auto it = spec.find(field);
  if (it == spec.end() || it->is_null()) return std::string();
  return ScalarString(*it, field);
}

bool NameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

}  // namespace

Status ValidateAssetName(AssetKind kind, const std::string& name) {
  if (name.empty()) return InvalidArgument(fmt::format("the {} needs a name", KindName(kind)));
  if (kind == AssetKind::kComponent) {
    bool ok = name.size() <= 255 && std::islower(static_cast<unsigned char>(name[0])) &&
              std::all_of(name.begin(), name.end(), [](char c) {
                return std::islower(static_cast<unsigned char>(c)) ||
                       std::isdigit(static_cast<unsigned char>(c)) || c == '_';
              });
    if (!ok) {
      return InvalidArgument(fmt::format(
          "invalid component name '{}': use lower-case letters, digits and '_', starting with a "
          "letter (at most 255 characters)",
          name.substr(0, 300)));
    }
    return Status::Ok();
  }
  bool ok = name.size() <= 255 && std::isalnum(static_cast<unsigned char>(name[0])) &&
            std::all_of(name.begin(), name.end(), NameChar);
  if (!ok) {
    return InvalidArgument(fmt::format(
        "invalid {} name '{}': use letters, digits, '-', '_' and '.', starting with a letter or "
        "digit (at most 255 characters)",
        KindName(kind), name.substr(0, 300)));
  }
  return Status::Ok();
}

Status ValidateAssetVersion(AssetKind kind, const std::string& version) {
  if (kind == AssetKind::kModel) {
    bool ok = !version.empty() && version.size() <= 18 && version[0] != '0' &&
              std::all_of(version.begin(), version.end(),
                          [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (!ok) {
      return InvalidArgument(fmt::format(
          "invalid model version '{}': model versions are positive integers (1, 2, 3, …), "
          "shared with the MLflow model registry",
          version.substr(0, 40)));
    }
    return Status::Ok();
  }
  bool ok = !version.empty() && version.size() <= 30 &&
            std::isalnum(static_cast<unsigned char>(version[0])) &&
            std::all_of(version.begin(), version.end(), NameChar);
  if (!ok) {
    return InvalidArgument(fmt::format(
        "invalid version '{}': use letters, digits, '-', '_' and '.', starting with a letter or "
        "digit (at most 30 characters)",
        version.substr(0, 40)));
  }
  return Status::Ok();
}

StatusOr<Asset> AssetFromSpec(AssetKind kind, const json& spec) {
  if (!spec.is_object()) {
    return InvalidArgument(fmt::format("the {} spec must be a mapping", KindName(kind)));
  }
  const auto& known = KnownFields(kind);
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    if (known.count(it.key()) == 0) {
      return InvalidArgument(
          fmt::format("unknown field '{}' in the {} spec", it.key(), KindName(kind)));
    }
  }
  Asset a;
  a.kind = kind;
  ASSIGN_OR_RETURN(a.name, OptionalString(spec, "name"));
  RETURN_IF_ERROR(ValidateAssetName(kind, a.name));
  ASSIGN_OR_RETURN(a.version, OptionalString(spec, "version"));
  if (!a.version.empty()) RETURN_IF_ERROR(ValidateAssetVersion(kind, a.version));
  ASSIGN_OR_RETURN(a.description, OptionalString(spec, "description"));
  if (a.description.size() > 5000) {
    return InvalidArgument("description is longer than 5000 characters");
  }
  ASSIGN_OR_RETURN(a.tags, StringMap(spec, "tags"));
  ASSIGN_OR_RETURN(a.properties, StringMap(spec, "properties"));
  ASSIGN_OR_RETURN(a.path, OptionalString(spec, "path"));
  ASSIGN_OR_RETURN(a.type, OptionalString(spec, "type"));
  switch (kind) {
    case AssetKind::kModel: {
      if (a.type.empty()) a.type = "custom_model";
      static const std::set<std::string> kTypes = {"custom_model", "mlflow_model", "triton_model"};
      if (kTypes.count(a.type) == 0) {
        return InvalidArgument(fmt::format(
            "unknown model type '{}': use custom_model, mlflow_model or triton_model", a.type));
      }
      if (a.path.empty()) return InvalidArgument("the model spec needs a path");
      break;
    }
    case AssetKind::kData: {
      if (a.type.empty()) a.type = "uri_folder";
      if (a.type != "uri_file" && a.type != "uri_folder" && a.type != "mltable") {
        return InvalidArgument(
            fmt::format("unknown data type '{}': use uri_file, uri_folder or mltable", a.type));
      }
      if (a.path.empty()) return InvalidArgument("the data spec needs a path");
      break;
    }
    case AssetKind::kEnvironment: {
      if (!a.path.empty()) return InvalidArgument("unknown field 'path' in the environment spec");
      a.type = "environment";
      bool has_image = spec.contains("image") && spec["image"].is_string() &&
                       !spec["image"].get<std::string>().empty();
      bool has_conda = spec.contains("conda_file") && !spec["conda_file"].is_null();
      bool has_build = spec.contains("build") && !spec["build"].is_null();
      bool has_pip = spec.contains("pip_requirements") && !spec["pip_requirements"].is_null();
      if (!has_image && !has_conda && !has_build && !has_pip) {
        return InvalidArgument(
            "the environment spec needs an image, a conda_file or a build context");
      }
      if (spec.contains("image") && !spec["image"].is_string()) {
        return InvalidArgument("field 'image' must be a string");
      }
      if (has_conda && !spec["conda_file"].is_object()) {
        return InvalidArgument(
            "field 'conda_file' must be the conda environment (the CLI reads the file)");
      }
      if (has_build) {
        const json& b = spec["build"];
        if (!b.is_object() || !b.contains("path") || !b["path"].is_string()) {
          return InvalidArgument("field 'build' needs a 'path' (the Docker build context)");
        }
        for (auto it = b.begin(); it != b.end(); ++it) {
          if (it.key() != "path" && it.key() != "dockerfile_path") {
            return InvalidArgument(fmt::format("unknown field 'build.{}'", it.key()));
          }
        }
      }
      if (has_pip && !spec["pip_requirements"].is_array()) {
        return InvalidArgument("field 'pip_requirements' must be a list of requirement lines");
      }
      break;
    }
    case AssetKind::kComponent: {
      if (!a.path.empty()) return InvalidArgument("unknown field 'path' in the component spec");
      if (a.type.empty()) a.type = "command";
      if (a.type != "command") {
        return InvalidArgument(fmt::format(
            "component type '{}' is not supported: only command components are", a.type));
      }
      auto cmd = spec.find("command");
      if (cmd == spec.end() || !cmd->is_string() || cmd->get<std::string>().empty()) {
        return InvalidArgument("the component spec needs a command");
      }
      for (const char* io : {"inputs", "outputs"}) {
        auto it = spec.find(io);
        if (it != spec.end() && !it->is_null() && !it->is_object()) {
          return InvalidArgument(fmt::format("field '{}' must be a mapping", io));
        }
      }
      // Every ${{inputs.x}} / ${{outputs.y}} in the command must be declared.
      const std::string command = cmd->get<std::string>();
      for (size_t pos = command.find("${{"); pos != std::string::npos;
           pos = command.find("${{", pos + 3)) {
        size_t end = command.find("}}", pos);
        if (end == std::string::npos) {
          return InvalidArgument("unterminated '${{' in the component command");
        }
        std::string expr = command.substr(pos + 3, end - pos - 3);
        expr.erase(0, expr.find_first_not_of(' '));
        expr.erase(expr.find_last_not_of(' ') + 1);
        size_t dot = expr.find('.');
        std::string scope = expr.substr(0, dot);
        if (scope != "inputs" && scope != "outputs") {
          return InvalidArgument(fmt::format(
              "'${{{{{}}}}}' in the component command: only inputs.<name> and outputs.<name> can "
              "be referenced",
              expr));
        }
        std::string name = dot == std::string::npos ? "" : expr.substr(dot + 1);
        auto decl = spec.find(scope);
        if (name.empty() || decl == spec.end() || !decl->is_object() || !decl->contains(name)) {
          return InvalidArgument(fmt::format(
              "the component command uses '${{{{{}}}}}' but the spec declares no {} named '{}'",
              expr, scope == "inputs" ? "input" : "output", name));
        }
      }
      auto env = spec.find("environment");
      if (env == spec.end() || env->is_null()) {
        return InvalidArgument("the component spec needs an environment");
      }
      break;
    }
  }
  a.spec_json = DumpJson(spec);
  return a;
}

}  // namespace mlws::assets
