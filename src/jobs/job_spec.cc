#include "mlws/jobs/job_spec.h"

#include <fmt/format.h>

#include <array>
#include <random>
#include <set>

#include "jobs/job_files.h"
#include "mlws/common/json.h"
#include "mlws/jobs/pipeline_spec.h"

namespace mlws::jobs {

using nlohmann::json;

namespace {

std::string Scalar(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return DumpJson(v);
}

bool IsScalar(const json& v) { return v.is_string() || v.is_number() || v.is_boolean(); }

Status CheckKeys(const json& obj, const std::string& where, const std::set<std::string>& allowed) {
  for (const auto& [k, v] : obj.items()) {
    if (!allowed.contains(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return InvalidArgument(
          fmt::format("Unknown field '{}{}' in the job spec (allowed: {}).", where, k, list));
    }
  }
  return Status::Ok();
}

StatusOr<std::string> StringField(const json& obj, const std::string& key,
                                  const std::string& where) {
  if (!obj.contains(key) || obj[key].is_null()) return std::string();
  if (!obj[key].is_string()) {
    return InvalidArgument(fmt::format("'{}{}' must be a string.", where, key));
  }
  return obj[key].get<std::string>();
}

StatusOr<std::map<std::string, std::string>> StringMap(const json& obj, const std::string& key) {
  std::map<std::string, std::string> out;
  if (!obj.contains(key) || obj[key].is_null()) return out;
  if (!obj[key].is_object()) return InvalidArgument(fmt::format("'{}' must be a mapping.", key));
  for (const auto& [k, v] : obj[key].items()) {
    if (!IsScalar(v) && !v.is_null()) {
      return InvalidArgument(fmt::format("'{}.{}' must be a string or a number.", key, k));
    }
    out[k] = v.is_null() ? "" : Scalar(v);
  }
  return out;
}

StatusOr<std::int64_t> PositiveInt(const json& v, const std::string& what, std::int64_t max) {
  std::int64_t n = 0;
  if (v.is_number_integer()) {
    n = v.get<std::int64_t>();
  } else if (v.is_string()) {
    try {
      size_t used = 0;
      n = std::stoll(v.get<std::string>(), &used);
      if (used != v.get<std::string>().size()) throw std::invalid_argument("trailing");
    } catch (...) {
      return InvalidArgument(fmt::format("'{}' must be a whole number.", what));
    }
  } else {
    return InvalidArgument(fmt::format("'{}' must be a whole number.", what));
  }
  if (n < 1 || n > max) {
    return InvalidArgument(fmt::format("'{}' must be between 1 and {} (got {}).", what, max, n));
  }
  return n;
}

bool IsLocalPath(const std::string& p) {
  return p.rfind("azureml:", 0) != 0 && p.find("://") == std::string::npos;
}

const std::set<std::string> kLiteralTypes = {"string", "integer", "number", "boolean"};
const std::set<std::string> kPathTypes = {"uri_file",     "uri_folder",   "mltable",
                                          "custom_model", "mlflow_model", "triton_model"};

StatusOr<InputSpec> ParseInput(const std::string& name, const json& v) {
  InputSpec in;
  in.name = name;
  std::string where = "inputs." + name;
  if (v.is_null()) return InvalidArgument(fmt::format("Input '{}' has no value.", name));
  if (IsScalar(v)) {
    in.value = Scalar(v);
    in.type = LiteralTypeOf(v);
    return in;
  }
  if (!v.is_object()) {
    return InvalidArgument(fmt::format("Input '{}' must be a value or a mapping.", name));
  }
  RETURN_IF_ERROR(CheckKeys(
      v, where + ".",
      {"type", "path", "mode", "value", "default", "description", "optional", "datastore"}));
  ASSIGN_OR_RETURN(in.type, StringField(v, "type", where + "."));
  if (in.type.empty()) in.type = v.contains("path") ? "uri_folder" : "string";
  if (kLiteralTypes.contains(in.type)) {
    const json& val = v.contains("value")     ? v["value"]
                      : v.contains("default") ? v["default"]
                                              : json();
    if (!IsScalar(val)) {
      return InvalidArgument(fmt::format("Input '{}' of type {} needs a 'value'.", name, in.type));
    }
    in.value = Scalar(val);
    return in;
  }
  if (!kPathTypes.contains(in.type)) {
    return InvalidArgument(fmt::format(
        "Input '{}': unknown type '{}' (use uri_file, uri_folder, mltable, custom_model, "
        "mlflow_model, or a literal type string|integer|number|boolean).",
        name, in.type));
  }
  in.literal = false;
  ASSIGN_OR_RETURN(in.path, StringField(v, "path", where + "."));
  if (in.path.empty()) return InvalidArgument(fmt::format("Input '{}' needs a 'path'.", name));
  if (IsLocalPath(in.path)) {
    return InvalidArgument(fmt::format(
        "Input '{}': the local path '{}' must be uploaded first (the mlws CLI does this when "
        "it submits the spec).",
        name, in.path));
  }
  ASSIGN_OR_RETURN(in.mode, StringField(v, "mode", where + "."));
  if (in.mode.empty()) in.mode = "ro_mount";
  if (in.mode == "eval_mount") in.mode = "ro_mount";
  if (in.mode == "eval_download") in.mode = "download";
  if (in.mode != "ro_mount" && in.mode != "download" && in.mode != "direct") {
    return InvalidArgument(fmt::format(
        "Input '{}': mode '{}' is not supported for inputs (use ro_mount, download or direct).",
        name, in.mode));
  }
  return in;
}

StatusOr<OutputSpec> ParseOutput(const std::string& name, const json& v) {
  OutputSpec out;
  out.name = name;
  if (v.is_null()) return out;
  std::string where = "outputs." + name;
  if (!v.is_object()) return InvalidArgument(fmt::format("Output '{}' must be a mapping.", name));
  RETURN_IF_ERROR(
      CheckKeys(v, where + ".", {"type", "mode", "name", "version", "description", "path"}));
  ASSIGN_OR_RETURN(std::string type, StringField(v, "type", where + "."));
  if (!type.empty()) out.type = type;
  if (out.type != "uri_folder" && out.type != "uri_file" && out.type != "custom_model" &&
      out.type != "mlflow_model") {
    return InvalidArgument(fmt::format(
        "Output '{}': type '{}' is not supported (use uri_folder, uri_file, custom_model or "
        "mlflow_model).",
        name, out.type));
  }
  ASSIGN_OR_RETURN(std::string mode, StringField(v, "mode", where + "."));
  if (!mode.empty()) out.mode = mode;
  if (out.mode != "rw_mount" && out.mode != "upload" && out.mode != "direct") {
    return InvalidArgument(fmt::format(
        "Output '{}': mode '{}' is not supported (use rw_mount or upload).", name, out.mode));
  }
  ASSIGN_OR_RETURN(out.asset_name, StringField(v, "name", where + "."));
  if (v.contains("version") && !v["version"].is_null()) {
    if (!IsScalar(v["version"])) {
      return InvalidArgument(fmt::format("Output '{}': 'version' must be a string.", name));
    }
    out.asset_version = Scalar(v["version"]);
    if (out.asset_name.empty()) {
      return InvalidArgument(fmt::format("Output '{}': 'version' needs a 'name'.", name));
    }
  }
  ASSIGN_OR_RETURN(out.description, StringField(v, "description", where + "."));
  ASSIGN_OR_RETURN(out.path, StringField(v, "path", where + "."));
  if (!out.path.empty() && (out.path.rfind("azureml://datastores/", 0) != 0 ||
                            out.path.find("/paths/") == std::string::npos)) {
    return InvalidArgument(
        fmt::format("Output '{}': path '{}' must be a datastore URI "
                    "(azureml://datastores/<datastore>/paths/<path>).",
                    name, out.path));
  }
  return out;
}

}  // namespace

std::string OutputUri(const OutputSpec& out, const std::string& job,
                      const std::string& default_datastore) {
  if (out.path.empty()) {
    return fmt::format("azureml://datastores/{}/paths/azureml/{}/{}", default_datastore, job,
                       out.name);
  }
  std::string uri = out.path;
  const std::pair<std::string, std::string> vars[] = {
      {"${{name}}", job},
      {"${{output_name}}", out.name},
      {"${{default_datastore}}", default_datastore}};
  for (const auto& [var, value] : vars) {
    for (size_t at = uri.find(var); at != std::string::npos;
         at = uri.find(var, at + value.size())) {
      uri.replace(at, var.size(), value);
    }
  }
  while (uri.size() > 1 && uri.back() == '/') uri.pop_back();
  return uri;
}

Status ValidateJobName(const std::string& name) {
  bool ok =
      !name.empty() && name.size() <= 255 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') ok = false;
  }
  if (!ok) {
    return InvalidArgument("Invalid name '" + name.substr(0, 100) +
                           "': use 1 to 255 letters, digits, '_' or '-', starting with a letter "
                           "or digit.");
  }
  return Status::Ok();
}

std::string GenerateJobName() {
  static constexpr std::array<const char*, 16> kAdj = {
      "amiable", "brave", "calm", "dreamy", "eager",  "frosty", "gentle", "happy",
      "icy",     "jolly", "keen", "lucid",  "mellow", "nifty",  "placid", "quiet"};
  static constexpr std::array<const char*, 16> kNoun = {
      "apple", "basil", "carrot", "date", "endive", "fig",    "grape",  "hazelnut",
      "kiwi",  "lemon", "mango",  "nut",  "olive",  "pepper", "radish", "rhubarb"};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string suffix;
  const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (int i = 0; i < 10; ++i) suffix += alphabet[rng() % 36];
  return fmt::format("{}_{}_{}", kAdj[rng() % kAdj.size()], kNoun[rng() % kNoun.size()], suffix);
}

StatusOr<JobSpec> ParseJobSpec(const json& spec) {
  if (!spec.is_object()) return InvalidArgument("The job spec must be a mapping (a YAML object).");
  JobSpec s;
  std::string type = "command";
  if (spec.contains("type") && !spec["type"].is_null()) {
    if (!spec["type"].is_string()) return InvalidArgument("'type' must be a string.");
    type = spec["type"].get<std::string>();
  }
  if (type == "pipeline" || type == "sweep") {
    return Status(ErrorCode::kNotImplemented,
                  fmt::format("Job type '{}' is not supported yet: mlws runs command jobs only "
                              "(type: command).",
                              type));
  }
  if (type != "command") {
    return InvalidArgument(
        fmt::format("Unknown job type '{}': use 'command' (pipeline and sweep are not supported "
                    "yet).",
                    type));
  }
  RETURN_IF_ERROR(CheckKeys(
      spec, "",
      {"$schema",         "type",      "name",           "display_name", "description",
       "experiment_name", "command",   "code",           "environment",  "environment_variables",
       "inputs",          "outputs",   "compute",        "tags",         "properties",
       "limits",          "resources", "queue_settings", "identity",     "services",
       "distribution"}));
  ASSIGN_OR_RETURN(s.name, StringField(spec, "name", ""));
  if (!s.name.empty()) RETURN_IF_ERROR(ValidateJobName(s.name));
  ASSIGN_OR_RETURN(s.display_name, StringField(spec, "display_name", ""));
  ASSIGN_OR_RETURN(s.description, StringField(spec, "description", ""));
  ASSIGN_OR_RETURN(s.experiment_name, StringField(spec, "experiment_name", ""));
  ASSIGN_OR_RETURN(s.command, StringField(spec, "command", ""));
  bool blank = s.command.find_first_not_of(" \t\r\n") == std::string::npos;
  if (blank) return InvalidArgument("A command job needs a 'command'.");
  ASSIGN_OR_RETURN(s.code, StringField(spec, "code", ""));
  if (!s.code.empty() && IsLocalPath(s.code)) {
    return InvalidArgument(fmt::format(
        "'code': the local folder '{}' must be uploaded first (the mlws CLI does this when it "
        "submits the spec).",
        s.code));
  }
  ASSIGN_OR_RETURN(s.compute, StringField(spec, "compute", ""));
  if (s.compute.rfind("azureml:", 0) == 0) s.compute = s.compute.substr(8);
  if (s.compute.empty()) s.compute = "local";
  RETURN_IF_ERROR(ValidateJobName(s.compute));

  if (spec.contains("environment") && !spec["environment"].is_null()) {
    const json& env = spec["environment"];
    if (env.is_object()) {
      RETURN_IF_ERROR(CheckKeys(env, "environment.",
                                {"$schema", "name", "version", "image", "conda_file", "build",
                                 "description", "tags", "os_type", "inference_config"}));
    } else if (!env.is_string()) {
      return InvalidArgument(
          "'environment' must be a reference (azureml:name:version) or a "
          "mapping (image / conda_file).");
    }
    s.environment = env;
  }
  ASSIGN_OR_RETURN(s.environment_variables, StringMap(spec, "environment_variables"));
  for (const auto& [k, v] : s.environment_variables) {
    bool ok = !k.empty() && !std::isdigit(static_cast<unsigned char>(k[0]));
    for (char c : k) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!ok) return InvalidArgument("Invalid environment variable name '" + k + "'.");
  }
  ASSIGN_OR_RETURN(s.tags, StringMap(spec, "tags"));

  if (spec.contains("inputs") && !spec["inputs"].is_null()) {
    if (!spec["inputs"].is_object()) return InvalidArgument("'inputs' must be a mapping.");
    for (const auto& [k, v] : spec["inputs"].items()) {
      RETURN_IF_ERROR(ValidateJobName(k));
      ASSIGN_OR_RETURN(InputSpec in, ParseInput(k, v));
      s.inputs.push_back(std::move(in));
    }
  }
  if (spec.contains("outputs") && !spec["outputs"].is_null()) {
    if (!spec["outputs"].is_object()) return InvalidArgument("'outputs' must be a mapping.");
    for (const auto& [k, v] : spec["outputs"].items()) {
      RETURN_IF_ERROR(ValidateJobName(k));
      ASSIGN_OR_RETURN(OutputSpec out, ParseOutput(k, v));
      s.outputs.push_back(std::move(out));
    }
  }
  if (spec.contains("limits") && !spec["limits"].is_null()) {
    const json& l = spec["limits"];
    if (!l.is_object()) return InvalidArgument("'limits' must be a mapping.");
    RETURN_IF_ERROR(CheckKeys(l, "limits.", {"timeout"}));
    if (l.contains("timeout") && !l["timeout"].is_null()) {
      ASSIGN_OR_RETURN(s.timeout_s, PositiveInt(l["timeout"], "limits.timeout", 86400LL * 365));
    }
  }
  if (spec.contains("resources") && !spec["resources"].is_null()) {
    const json& r = spec["resources"];
    if (!r.is_object()) return InvalidArgument("'resources' must be a mapping.");
    RETURN_IF_ERROR(CheckKeys(
        r, "resources.",
        {"instance_count", "instance_type", "shm_size", "properties", "docker_args", "locations"}));
    if (r.contains("instance_count") && !r["instance_count"].is_null()) {
      ASSIGN_OR_RETURN(std::int64_t n,
                       PositiveInt(r["instance_count"], "resources.instance_count", 1000));
      s.instance_count = static_cast<int>(n);
    }
    for (const char* k : {"instance_type", "shm_size", "docker_args", "properties", "locations"}) {
      if (r.contains(k))
        s.notes.push_back(fmt::format("resources.{} recorded, no local meaning", k));
    }
  }
  if (spec.contains("queue_settings") && !spec["queue_settings"].is_null()) {
    const json& q = spec["queue_settings"];
    if (!q.is_object()) return InvalidArgument("'queue_settings' must be a mapping.");
    RETURN_IF_ERROR(CheckKeys(q, "queue_settings.", {"job_tier", "priority"}));
    ASSIGN_OR_RETURN(std::string prio, StringField(q, "priority", "queue_settings."));
    if (prio == "low") {
      s.priority = -1;
    } else if (prio == "high") {
      s.priority = 1;
    } else if (!prio.empty() && prio != "medium") {
      return InvalidArgument("'queue_settings.priority' must be low, medium or high.");
    }
  }
  for (const char* k : {"identity", "services", "distribution", "properties"}) {
    if (spec.contains(k)) s.notes.push_back(fmt::format("{} recorded, no local meaning", k));
  }

  // Every reference in the command must name a declared input or output.
  Bindings check;
  for (const auto& in : s.inputs) check.inputs[in.name] = "x";
  for (const auto& out : s.outputs) check.outputs[out.name] = "x";
  auto substituted = SubstituteCommand(s.command, check);
  if (!substituted.ok()) return substituted.status();
  return s;
}

namespace {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string_view::npos ? "" : std::string(s.substr(b, e - b + 1));
}

// Substitutes the ${{…}} references of `text`. With `optional`, an unbound input makes the
// whole text disappear (returns nullopt-like empty + flag).
StatusOr<std::string> SubstituteRefs(std::string_view text, const Bindings& b, bool optional,
                                     bool& dropped) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("${{", pos);
    if (open == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, open - pos));
    size_t close = text.find("}}", open + 3);
    if (close == std::string_view::npos) {
      return InvalidArgument("Unterminated '${{' in the command.");
    }
    std::string expr = Trim(text.substr(open + 3, close - open - 3));
    auto dot = expr.find('.');
    std::string scope = dot == std::string::npos ? expr : expr.substr(0, dot);
    std::string name = dot == std::string::npos ? "" : expr.substr(dot + 1);
    const std::map<std::string, std::string>* table = nullptr;
    if (scope == "inputs") table = &b.inputs;
    if (scope == "outputs") table = &b.outputs;
    if (table == nullptr || name.empty()) {
      return InvalidArgument(fmt::format(
          "'${{{{{}}}}}' in the command: command jobs can reference ${{{{inputs.<name>}}}} and "
          "${{{{outputs.<name>}}}} only.",
          expr));
    }
    auto it = table->find(name);
    if (it == table->end()) {
      if (optional && scope == "inputs") {
        dropped = true;
        return std::string();
      }
      return InvalidArgument(fmt::format(
          "The command references ${{{{{}.{}}}}}, but the job declares no {} named '{}'.", scope,
          name, scope == "inputs" ? "input" : "output", name));
    }
    out += it->second;
    pos = close + 2;
  }
  return out;
}

}  // namespace

StatusOr<std::string> SubstituteCommand(const std::string& command, const Bindings& bindings) {
  std::string out;
  size_t pos = 0;
  std::string_view text(command);
  while (pos < text.size()) {
    size_t open = text.find("$[[", pos);
    if (open == std::string_view::npos) {
      bool dropped = false;
      ASSIGN_OR_RETURN(std::string part,
                       SubstituteRefs(text.substr(pos), bindings, false, dropped));
      out += part;
      break;
    }
    bool dropped = false;
    ASSIGN_OR_RETURN(std::string head,
                     SubstituteRefs(text.substr(pos, open - pos), bindings, false, dropped));
    out += head;
    size_t close = text.find("]]", open + 3);
    if (close == std::string_view::npos)
      return InvalidArgument("Unterminated '$[[' in the command.");
    ASSIGN_OR_RETURN(std::string body, SubstituteRefs(text.substr(open + 3, close - open - 3),
                                                      bindings, true, dropped));
    if (!dropped) out += body;
    pos = close + 2;
  }
  return out;
}

}  // namespace mlws::jobs
