#include "mlws/jobs/pipeline_spec.h"

#include <fmt/format.h>

#include <cmath>
#include <deque>

#include "mlws/common/json.h"
#include "mlws/jobs/job_spec.h"

namespace mlws::jobs {

using nlohmann::json;

namespace {

const std::set<std::string> kLiteralTypes = {"string", "integer", "number", "boolean"};
const std::set<std::string> kPathTypes = {"uri_file",     "uri_folder",   "mltable",
                                          "custom_model", "mlflow_model", "triton_model"};
constexpr size_t kMaxSteps = 5000;

bool IsScalar(const json& v) { return v.is_string() || v.is_number() || v.is_boolean(); }

std::string Scalar(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return DumpJson(v);
}

Status Keys(const json& obj, const std::string& where, const std::set<std::string>& allowed) {
  for (const auto& [k, v] : obj.items()) {
    if (allowed.contains(k)) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    return InvalidArgument(
        fmt::format("Unknown field '{}{}' in the pipeline spec (allowed: {}).", where, k, list));
  }
  return Status::Ok();
}

StatusOr<std::string> Str(const json& obj, const std::string& key, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return std::string();
  if (!obj[key].is_string())
    return InvalidArgument(fmt::format("'{}{}' must be a string.", where, key));
  return obj[key].get<std::string>();
}

StatusOr<bool> Bool(const json& obj, const std::string& key, const std::string& where) {
  if (!obj.contains(key) || obj[key].is_null()) return false;
  const json& v = obj[key];
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string() && (v == "true" || v == "True")) return true;
  if (v.is_string() && (v == "false" || v == "False")) return false;
  return InvalidArgument(fmt::format("'{}{}' must be true or false.", where, key));
}

StatusOr<std::map<std::string, std::string>> StrMap(const json& obj, const std::string& key,
                                                    const std::string& where) {
  std::map<std::string, std::string> out;
  if (!obj.contains(key) || obj[key].is_null()) return out;
  if (!obj[key].is_object())
    return InvalidArgument(fmt::format("'{}{}' must be a mapping.", where, key));
  for (const auto& [k, v] : obj[key].items()) {
    if (!IsScalar(v) && !v.is_null()) {
      return InvalidArgument(fmt::format("'{}{}.{}' must be a string or a number.", where, key, k));
    }
    out[k] = v.is_null() ? "" : Scalar(v);
  }
  return out;
}

std::string NoAzurePrefix(std::string s) {
  if (s.rfind("azureml:", 0) == 0 && s.rfind("azureml://", 0) != 0) s = s.substr(8);
  return s;
}

// "${{ a.b.c }}" as a whole value -> "a.b.c"; "" when `v` is not a binding.
StatusOr<std::string> Binding(const json& v, const std::string& where) {
  if (!v.is_string()) return std::string();
  std::string s = v.get<std::string>();
  size_t open = s.find("${{");
  if (open == std::string::npos) return std::string();
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  std::string t = s.substr(b, e - b + 1);
  if (t.rfind("${{", 0) != 0 || t.size() < 5 || t.substr(t.size() - 2) != "}}" ||
      t.find("${{", 3) != std::string::npos) {
    return InvalidArgument(fmt::format(
        "{}: '{}' must be a whole binding such as ${{{{parent.inputs.<name>}}}} (bindings inside "
        "longer text are not supported).",
        where, s));
  }
  std::string expr = t.substr(3, t.size() - 5);
  expr.erase(0, expr.find_first_not_of(" \t"));
  expr.erase(expr.find_last_not_of(" \t") + 1);
  return expr;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) return out;
    start = p + 1;
  }
}

// A literal `v` coerced to `type`, with the declaration's min/max/enum checked.
StatusOr<std::string> Coerce(const json& v, const std::string& type, const json& decl,
                             const std::string& where) {
  std::string text = Scalar(v);
  auto bad = [&](const std::string& why) {
    return InvalidArgument(fmt::format("{}: {} (got '{}').", where, why, text.substr(0, 100)));
  };
  double num = 0;
  if (type == "integer" || type == "number") {
    try {
      size_t used = 0;
      num = std::stod(text, &used);
      if (used != text.size()) throw std::invalid_argument("trailing");
    } catch (...) {
      return bad(fmt::format("a value of type {} is needed", type));
    }
    if (type == "integer") {
      if (std::floor(num) != num || std::fabs(num) > 9e15) return bad("a whole number is needed");
      text = std::to_string(static_cast<long long>(num));
    }
    for (const char* lim : {"min", "max"}) {
      if (!decl.is_object() || !decl.contains(lim) || !decl[lim].is_number()) continue;
      double l = decl[lim].get<double>();
      if (std::string(lim) == "min" ? num < l : num > l) {
        return bad(fmt::format("the component allows {} {}", lim, Scalar(decl[lim])));
      }
    }
  } else if (type == "boolean") {
    if (text == "True" || text == "true") {
      text = "true";
    } else if (text == "False" || text == "false") {
      text = "false";
    } else {
      return bad("true or false is needed");
    }
  }
  if (decl.is_object() && decl.contains("enum") && decl["enum"].is_array()) {
    bool found = false;
    for (const auto& e : decl["enum"]) found = found || Scalar(e) == text;
    if (!found) return bad("not one of the component's enum values");
  }
  return text;
}

// A pipeline-level input: literal (type inferred) or a path input.
StatusOr<StepInput> ParseParentInput(const std::string& name, const json& v) {
  std::string where = "inputs." + name;
  StepInput in;
  in.name = name;
  if (IsScalar(v)) {
    in.value = Scalar(v);
    in.type = LiteralTypeOf(v);
    return in;
  }
  if (!v.is_object()) return InvalidArgument(where + ": must be a value or a mapping.");
  RETURN_IF_ERROR(
      Keys(v, where + ".",
           {"type", "path", "mode", "value", "default", "description", "optional", "datastore"}));
  ASSIGN_OR_RETURN(in.type, Str(v, "type", where + "."));
  ASSIGN_OR_RETURN(in.path, Str(v, "path", where + "."));
  if (in.type.empty()) in.type = in.path.empty() ? "string" : "uri_folder";
  if (kPathTypes.contains(in.type)) {
    if (in.path.empty())
      return InvalidArgument(where + ": an input of type " + in.type + " needs a 'path'.");
    in.kind = StepInput::Kind::kPath;
    ASSIGN_OR_RETURN(in.mode, Str(v, "mode", where + "."));
    return in;
  }
  if (!kLiteralTypes.contains(in.type)) {
    return InvalidArgument(fmt::format("{}: unknown type '{}'.", where, in.type));
  }
  const json& val = v.contains("value")     ? v["value"]
                    : v.contains("default") ? v["default"]
                                            : json();
  if (!IsScalar(val)) return InvalidArgument(where + ": needs a 'value'.");
  ASSIGN_OR_RETURN(in.value, Coerce(val, in.type, json(), where));
  return in;
}

StatusOr<StepOutput> OutputSettings(StepOutput out, const json& v, const std::string& where) {
  if (v.is_null()) return out;
  if (!v.is_object()) return InvalidArgument(where + ": must be a mapping or a binding.");
  RETURN_IF_ERROR(Keys(v, where + ".", {"type", "mode", "name", "version", "description", "path"}));
  ASSIGN_OR_RETURN(std::string type, Str(v, "type", where + "."));
  if (!type.empty()) out.type = type;
  if (!kPathTypes.contains(out.type)) {
    return InvalidArgument(fmt::format("{}: output type '{}' is not supported.", where, out.type));
  }
  ASSIGN_OR_RETURN(std::string mode, Str(v, "mode", where + "."));
  if (!mode.empty()) out.mode = mode;
  if (out.mode != "rw_mount" && out.mode != "upload" && out.mode != "direct") {
    return InvalidArgument(
        fmt::format("{}.mode: '{}' is not supported (use rw_mount or upload).", where, out.mode));
  }
  std::string name;
  ASSIGN_OR_RETURN(name, Str(v, "name", where + "."));
  if (!name.empty()) out.asset_name = name;
  if (v.contains("version") && !v["version"].is_null()) out.asset_version = Scalar(v["version"]);
  ASSIGN_OR_RETURN(std::string path, Str(v, "path", where + "."));
  if (!path.empty()) out.path = path;
  if (!out.asset_version.empty() && out.asset_name.empty()) {
    return InvalidArgument(where + ".version: needs a 'name'.");
  }
  return out;
}

struct Raw {
  PipelineStep step;
  std::map<std::string, json> declared_inputs;  // empty for inline commands
  bool has_component = false;
};

const std::set<std::string> kStepKeys = {"type",
                                         "component",
                                         "command",
                                         "environment",
                                         "code",
                                         "compute",
                                         "inputs",
                                         "outputs",
                                         "limits",
                                         "resources",
                                         "services",
                                         "distribution",
                                         "identity",
                                         "display_name",
                                         "description",
                                         "tags",
                                         "environment_variables",
                                         "force_rerun",
                                         "is_deterministic",
                                         "properties",
                                         "queue_settings",
                                         "name",
                                         "experiment_name"};

Status ParseStep(const std::string& name, const json& v, const PipelineSpec& p,
                 const std::map<std::string, StepInput>& parent_inputs,
                 const ComponentResolver& resolve, std::string default_compute, Raw& raw) {
  std::string where = "jobs." + name;
  PipelineStep& s = raw.step;
  s.name = name;
  if (!v.is_object()) return InvalidArgument(where + ": a step must be a mapping.");
  RETURN_IF_ERROR(Keys(v, where + ".", kStepKeys));
  ASSIGN_OR_RETURN(std::string type, Str(v, "type", where + "."));
  if (!type.empty() && type != "command") {
    return InvalidArgument(fmt::format(
        "{}.type: '{}' steps are not supported (mlws runs command steps).", where, type));
  }
  json component = json::object();
  if (v.contains("component") && !v["component"].is_null()) {
    raw.has_component = true;
    const json& c = v["component"];
    if (c.is_string()) {
      std::string ref = c.get<std::string>();
      auto got = resolve(ref);
      if (!got.ok()) {
        return Status(got.status().code(),
                      fmt::format("{}.component: {}", where, got.status().message()));
      }
      component = *got;
      s.component = "azureml:" + component.value("name", std::string()) + ":" +
                    (component.contains("version") ? Scalar(component["version"]) : "");
      if (ref.rfind("azureml://registries/", 0) == 0) {
        // A registry's component keeps its registry (reuse across workspaces, registries.md).
        std::string reg = ref.substr(21, ref.find('/', 21) - 21);
        s.component = "azureml://registries/" + reg + "/components/" +
                      component.value("name", std::string()) + "/versions/" +
                      (component.contains("version") ? Scalar(component["version"]) : "");
      }
    } else if (c.is_object()) {
      component = c;
      s.component = component.contains("name") && component["name"].is_string()
                        ? component["name"].get<std::string>() +
                              (component.contains("version") ? ":" + Scalar(component["version"])
                                                             : std::string())
                        : "inline";
    } else {
      return InvalidArgument(where + ".component: must be a reference or a component mapping.");
    }
    if (v.contains("command")) {
      return InvalidArgument(where + ": give either 'component' or 'command', not both.");
    }
    ASSIGN_OR_RETURN(std::string ctype, Str(component, "type", where + ".component."));
    if (!ctype.empty() && ctype != "command") {
      return InvalidArgument(fmt::format(
          "{}.component: '{}' components are not supported (command only).", where, ctype));
    }
  } else {
    s.component = "inline";
  }
  const json& src = raw.has_component ? component : v;
  ASSIGN_OR_RETURN(s.command,
                   Str(src, "command", where + (raw.has_component ? ".component." : ".")));
  if (s.command.find_first_not_of(" \t\r\n") == std::string::npos) {
    return InvalidArgument(where + ": needs a 'component' or a 'command'.");
  }
  ASSIGN_OR_RETURN(s.display_name, Str(v, "display_name", where + "."));
  ASSIGN_OR_RETURN(s.code, Str(src, "code", where + "."));
  if (raw.has_component && v.contains("code")) {
    ASSIGN_OR_RETURN(s.code, Str(v, "code", where + "."));
  }
  s.environment = v.contains("environment") && !v["environment"].is_null() ? v["environment"]
                  : component.contains("environment") ? component["environment"]
                                                      : p.settings.default_environment;
  ASSIGN_OR_RETURN(std::string compute, Str(v, "compute", where + "."));
  s.compute = NoAzurePrefix(compute.empty() ? default_compute : compute);
  if (s.compute.empty()) s.compute = "local";
  ASSIGN_OR_RETURN(s.environment_variables,
                   StrMap(component, "environment_variables", where + ".component."));
  ASSIGN_OR_RETURN(auto own_env, StrMap(v, "environment_variables", where + "."));
  for (auto& [k, val] : own_env) s.environment_variables[k] = val;
  if (v.contains("limits") && v["limits"].is_object() && v["limits"].contains("timeout")) {
    const json& t = v["limits"]["timeout"];
    if (!t.is_number_integer() || t.get<std::int64_t>() < 1) {
      return InvalidArgument(where + ".limits.timeout: must be a whole number of seconds >= 1.");
    }
    s.timeout_s = t.get<std::int64_t>();
  }
  if (component.contains("is_deterministic")) {
    ASSIGN_OR_RETURN(s.deterministic, Bool(component, "is_deterministic", where + ".component."));
  }
  if (v.contains("is_deterministic")) {
    ASSIGN_OR_RETURN(s.deterministic, Bool(v, "is_deterministic", where + "."));
  }
  ASSIGN_OR_RETURN(bool force, Bool(v, "force_rerun", where + "."));
  s.force_rerun = force || p.settings.force_rerun;

  // Declared inputs and outputs (components); inline commands declare by binding.
  std::map<std::string, json> out_decl;
  for (const char* io : {"inputs", "outputs"}) {
    if (!component.contains(io) || component[io].is_null()) continue;
    if (!component[io].is_object()) {
      return InvalidArgument(fmt::format("{}.component.{}: must be a mapping.", where, io));
    }
    for (const auto& [k, d] : component[io].items()) {
      (std::string(io) == "inputs" ? raw.declared_inputs : out_decl)[k] = d;
    }
  }
  json bound_in = v.value("inputs", json::object());
  if (bound_in.is_null()) bound_in = json::object();
  if (!bound_in.is_object()) return InvalidArgument(where + ".inputs: must be a mapping.");
  for (const auto& [k, b] : bound_in.items()) {
    std::string w = where + ".inputs." + k;
    RETURN_IF_ERROR(ValidateJobName(k));
    if (raw.has_component && !raw.declared_inputs.contains(k)) {
      return InvalidArgument(fmt::format("{}: the component declares no input '{}'.", w, k));
    }
    json decl = raw.declared_inputs.contains(k) ? raw.declared_inputs[k] : json();
    std::string dtype = decl.is_object() ? decl.value("type", std::string()) : "";
    StepInput in;
    in.name = k;
    ASSIGN_OR_RETURN(std::string expr, Binding(b, w));
    if (!expr.empty()) {
      auto parts = Split(expr, '.');
      if (parts.size() == 3 && parts[0] == "parent" && parts[1] == "inputs") {
        auto it = parent_inputs.find(parts[2]);
        if (it == parent_inputs.end()) {
          return InvalidArgument(fmt::format(
              "{}: ${{{{{}}}}} names no pipeline input (the pipeline's 'inputs' has no '{}').", w,
              expr, parts[2]));
        }
        in = it->second;
        in.name = k;
        in.bound_from = expr;
      } else if (parts.size() == 5 && parts[0] == "parent" && parts[1] == "jobs" &&
                 parts[3] == "outputs") {
        in.kind = StepInput::Kind::kStepOutput;
        in.step = parts[2];
        in.output = parts[4];
        in.bound_from = expr;
      } else {
        return InvalidArgument(
            fmt::format("{}: ${{{{{}}}}} is not a binding mlws knows (use parent.inputs.<name> or "
                        "parent.jobs.<step>.outputs.<name>).",
                        w, expr));
      }
    } else if (b.is_null()) {
      continue;  // unbound: the declaration's default (or optional) applies
    } else if (IsScalar(b)) {
      ASSIGN_OR_RETURN(in, ParseParentInput(k, b));
    } else if (b.is_object()) {
      ASSIGN_OR_RETURN(in, ParseParentInput(k, b));
      if (b.contains("type") && dtype.empty()) dtype = in.type;
    } else {
      return InvalidArgument(w + ": must be a value, a mapping or a binding.");
    }
    if (in.kind == StepInput::Kind::kPath && in.mode.empty()) in.mode = "ro_mount";
    if (in.kind == StepInput::Kind::kStepOutput && b.is_object()) {
      ASSIGN_OR_RETURN(in.mode, Str(b, "mode", w + "."));
    }
    if (in.kind == StepInput::Kind::kStepOutput && in.mode.empty()) in.mode = "ro_mount";
    if (!dtype.empty()) {
      bool want_literal = kLiteralTypes.contains(dtype);
      if (!want_literal && !kPathTypes.contains(dtype)) {
        return InvalidArgument(fmt::format("{}: the component's type '{}' is unknown.", w, dtype));
      }
      if (want_literal && in.kind != StepInput::Kind::kLiteral) {
        return InvalidArgument(
            fmt::format("{}: the component wants a {} but the binding gives data ({}).", w, dtype,
                        in.bound_from.empty() ? in.path : in.bound_from));
      }
      if (!want_literal && in.kind == StepInput::Kind::kLiteral) {
        return InvalidArgument(fmt::format(
            "{}: the component wants data of type {} but the binding gives the value '{}'.", w,
            dtype, in.value.substr(0, 100)));
      }
      if (want_literal) {
        ASSIGN_OR_RETURN(in.value, Coerce(in.value, dtype, decl, w));
        in.type = dtype;
      } else if (in.kind == StepInput::Kind::kPath && !b.is_object()) {
        in.type = dtype;
      } else if (in.kind == StepInput::Kind::kStepOutput) {
        in.type = dtype;
      }
    }
    s.inputs.push_back(std::move(in));
  }
  // Declared inputs without a binding: the default, or nothing when optional.
  for (const auto& [k, d] : raw.declared_inputs) {
    bool bound = false;
    for (const auto& in : s.inputs) bound = bound || in.name == k;
    if (bound) continue;
    std::string w = where + ".inputs." + k;
    std::string dtype = d.is_object() ? d.value("type", std::string("string")) : "string";
    if (d.is_object() && d.contains("default") && !d["default"].is_null()) {
      if (!kLiteralTypes.contains(dtype)) {
        return InvalidArgument(w + ": defaults of data inputs are not supported; bind the input.");
      }
      StepInput in;
      in.name = k;
      in.type = dtype;
      ASSIGN_OR_RETURN(in.value, Coerce(d["default"], dtype, d, w));
      s.inputs.push_back(std::move(in));
      continue;
    }
    ASSIGN_OR_RETURN(bool optional, Bool(d.is_object() ? d : json::object(), "optional", w + "."));
    if (optional) continue;
    return InvalidArgument(fmt::format(
        "{}: the component's input '{}' ({}) is required and has no default, but the step does "
        "not bind it.",
        w, k, dtype));
  }

  json bound_out = v.value("outputs", json::object());
  if (bound_out.is_null()) bound_out = json::object();
  if (!bound_out.is_object()) return InvalidArgument(where + ".outputs: must be a mapping.");
  for (const auto& [k, d] : out_decl) {
    if (!bound_out.contains(k)) bound_out[k] = nullptr;
  }
  for (const auto& [k, b] : bound_out.items()) {
    std::string w = where + ".outputs." + k;
    RETURN_IF_ERROR(ValidateJobName(k));
    if (raw.has_component && !out_decl.contains(k)) {
      return InvalidArgument(fmt::format("{}: the component declares no output '{}'.", w, k));
    }
    StepOutput out;
    out.name = k;
    if (out_decl.contains(k)) {
      ASSIGN_OR_RETURN(out, OutputSettings(out, out_decl[k], w));
    }
    ASSIGN_OR_RETURN(std::string expr, Binding(b, w));
    if (!expr.empty()) {
      auto parts = Split(expr, '.');
      if (parts.size() != 3 || parts[0] != "parent" || parts[1] != "outputs") {
        return InvalidArgument(fmt::format(
            "{}: ${{{{{}}}}}: an output can only be bound to parent.outputs.<name>.", w, expr));
      }
      if (!p.outputs.contains(parts[2])) {
        return InvalidArgument(fmt::format(
            "{}: ${{{{{}}}}} names no pipeline output (the pipeline's 'outputs' has no '{}').", w,
            expr, parts[2]));
      }
      out.parent_output = parts[2];
      ASSIGN_OR_RETURN(out, OutputSettings(out, p.outputs[parts[2]], w));
    } else {
      ASSIGN_OR_RETURN(out, OutputSettings(out, b, w));
    }
    s.outputs.push_back(std::move(out));
  }
  return Status::Ok();
}

}  // namespace

std::string LiteralTypeOf(const json& v) {
  return v.is_string()           ? "string"
         : v.is_boolean()        ? "boolean"
         : v.is_number_integer() ? "integer"
                                 : "number";
}

namespace {

// settings.default_datastore: an output without a path gets the path it would have had on the
// workspace's default datastore, on that datastore instead (a uri_file output's file named
// like the output, as OutputUri does without a path); ${{default_datastore}} in a path names it.
void ApplyDefaultDatastore(PipelineSpec& p) {
  const std::string& ds = p.settings.default_datastore;
  if (ds.empty()) return;
  static const std::string kVar = "${{default_datastore}}";
  for (auto& s : p.steps) {
    for (auto& o : s.outputs) {
      if (o.path.empty()) {
        o.path = "azureml://datastores/" + ds + "/paths/azureml/${{name}}/${{output_name}}";
        if (o.type == "uri_file") o.path += "/${{output_name}}";
        continue;
      }
      for (size_t at = o.path.find(kVar); at != std::string::npos;
           at = o.path.find(kVar, at + ds.size())) {
        o.path.replace(at, kVar.size(), ds);
      }
    }
  }
}

}  // namespace

bool IsPipelineSpec(const json& spec) {
  return spec.is_object() && spec.contains("type") && spec["type"] == "pipeline";
}

StatusOr<PipelineSpec> ParsePipelineSpec(const json& spec, const ComponentResolver& resolve) {
  if (!IsPipelineSpec(spec)) return InvalidArgument("Not a pipeline spec (type: pipeline).");
  PipelineSpec p;
  RETURN_IF_ERROR(
      Keys(spec, "",
           {"$schema", "type", "name", "display_name", "description", "experiment_name", "tags",
            "properties", "inputs", "outputs", "settings", "jobs", "compute", "identity"}));
  ASSIGN_OR_RETURN(p.name, Str(spec, "name", ""));
  if (!p.name.empty()) RETURN_IF_ERROR(ValidateJobName(p.name));
  ASSIGN_OR_RETURN(p.display_name, Str(spec, "display_name", ""));
  ASSIGN_OR_RETURN(p.description, Str(spec, "description", ""));
  ASSIGN_OR_RETURN(p.experiment_name, Str(spec, "experiment_name", ""));
  ASSIGN_OR_RETURN(p.tags, StrMap(spec, "tags", ""));
  ASSIGN_OR_RETURN(std::string compute, Str(spec, "compute", ""));
  for (const char* k : {"identity", "properties"}) {
    if (spec.contains(k)) p.notes.push_back(fmt::format("{} recorded, no local meaning", k));
  }

  json settings = spec.value("settings", json::object());
  if (settings.is_null()) settings = json::object();
  if (!settings.is_object()) return InvalidArgument("'settings' must be a mapping.");
  static const std::set<std::string> kSettings = {"default_compute", "default_datastore",
                                                  "default_environment", "continue_on_step_failure",
                                                  "force_rerun"};
  for (const auto& [k, v] : settings.items()) {
    if (!kSettings.contains(k)) {
      p.notes.push_back(
          fmt::format("settings.{} is not a pipeline setting mlws knows: ignored", k));
    }
  }
  ASSIGN_OR_RETURN(p.settings.default_compute, Str(settings, "default_compute", "settings."));
  if (p.settings.default_compute.empty()) p.settings.default_compute = compute;
  p.settings.default_compute = NoAzurePrefix(p.settings.default_compute);
  ASSIGN_OR_RETURN(std::string ds, Str(settings, "default_datastore", "settings."));
  p.settings.default_datastore = NoAzurePrefix(ds);
  if (!p.settings.default_datastore.empty()) {
    Status st = ValidateJobName(p.settings.default_datastore);
    if (!st.ok()) return InvalidArgument("settings.default_datastore: " + st.message());
  }
  if (settings.contains("default_environment") && !settings["default_environment"].is_null()) {
    const json& e = settings["default_environment"];
    if (!e.is_string() && !e.is_object()) {
      return InvalidArgument("'settings.default_environment' must be a reference or a mapping.");
    }
    p.settings.default_environment = e;
  }
  ASSIGN_OR_RETURN(p.settings.continue_on_step_failure,
                   Bool(settings, "continue_on_step_failure", "settings."));
  ASSIGN_OR_RETURN(p.settings.force_rerun, Bool(settings, "force_rerun", "settings."));

  std::map<std::string, StepInput> parent_inputs;
  if (spec.contains("inputs") && !spec["inputs"].is_null()) {
    if (!spec["inputs"].is_object()) return InvalidArgument("'inputs' must be a mapping.");
    for (const auto& [k, v] : spec["inputs"].items()) {
      RETURN_IF_ERROR(ValidateJobName(k));
      ASSIGN_OR_RETURN(StepInput in, ParseParentInput(k, v));
      if (in.kind == StepInput::Kind::kLiteral) p.literal_inputs[k] = in.value;
      if (in.kind == StepInput::Kind::kPath && in.mode.empty()) in.mode = "ro_mount";
      parent_inputs[k] = std::move(in);
    }
  }
  if (spec.contains("outputs") && !spec["outputs"].is_null()) {
    if (!spec["outputs"].is_object()) return InvalidArgument("'outputs' must be a mapping.");
    for (const auto& [k, v] : spec["outputs"].items()) {
      RETURN_IF_ERROR(ValidateJobName(k));
      StepOutput probe;
      ASSIGN_OR_RETURN(probe, OutputSettings(probe, v, "outputs." + k));
      p.outputs[k] = v.is_null() ? json::object() : v;
    }
  }

  if (!spec.contains("jobs") || !spec["jobs"].is_object() || spec["jobs"].empty()) {
    return InvalidArgument("A pipeline needs 'jobs': a mapping of step name to step.");
  }
  if (spec["jobs"].size() > kMaxSteps) {
    return InvalidArgument(
        fmt::format("A pipeline has at most {} steps (got {}).", kMaxSteps, spec["jobs"].size()));
  }
  std::map<std::string, Raw> raws;
  for (const auto& [k, v] : spec["jobs"].items()) {
    Status st = ValidateJobName(k);
    if (!st.ok()) return InvalidArgument("jobs." + k.substr(0, 100) + ": " + st.message());
    Raw raw;
    RETURN_IF_ERROR(ParseStep(k, v, p, parent_inputs, resolve, p.settings.default_compute, raw));
    raws[k] = std::move(raw);
  }

  // Step-output bindings: the step and its output exist, data flows into data inputs.
  std::map<std::string, std::string> parent_output_owner;
  for (auto& [name, raw] : raws) {
    for (auto& in : raw.step.inputs) {
      if (in.kind != StepInput::Kind::kStepOutput) continue;
      std::string w = "jobs." + name + ".inputs." + in.name;
      auto src = raws.find(in.step);
      if (src == raws.end()) {
        return InvalidArgument(
            fmt::format("{}: ${{{{{}}}}} names an unknown step '{}'.", w, in.bound_from, in.step));
      }
      const StepOutput* o = nullptr;
      for (const auto& out : src->second.step.outputs) {
        if (out.name == in.output) o = &out;
      }
      if (o == nullptr) {
        return InvalidArgument(fmt::format("{}: ${{{{{}}}}}: step '{}' has no output '{}'.", w,
                                           in.bound_from, in.step, in.output));
      }
      if (in.type.empty()) in.type = o->type;
      raw.step.depends_on.insert(in.step);
    }
    for (const auto& out : raw.step.outputs) {
      if (out.parent_output.empty()) continue;
      auto [it, fresh] = parent_output_owner.emplace(out.parent_output, name + "." + out.name);
      if (!fresh) {
        return InvalidArgument(
            fmt::format("jobs.{}.outputs.{}: pipeline output '{}' is already bound by {}.", name,
                        out.name, out.parent_output, it->second));
      }
    }
  }

  // Dependency order (Kahn); what is left over lies on a cycle.
  std::map<std::string, int> pending;
  std::map<std::string, std::vector<std::string>> readers;
  std::deque<std::string> ready;
  for (const auto& [name, raw] : raws) {
    pending[name] = static_cast<int>(raw.step.depends_on.size());
    for (const auto& d : raw.step.depends_on) readers[d].push_back(name);
    if (raw.step.depends_on.empty()) ready.push_back(name);
  }
  while (!ready.empty()) {
    std::string n = ready.front();
    ready.pop_front();
    p.steps.push_back(raws[n].step);
    for (const auto& r : readers[n]) {
      if (--pending[r] == 0) ready.push_back(r);
    }
  }
  if (p.steps.size() != raws.size()) {
    std::string cycle;
    for (const auto& [n, left] : pending) {
      if (left > 0) cycle += (cycle.empty() ? "" : ", ") + n;
    }
    return InvalidArgument("jobs: the steps' bindings form a cycle (steps " + cycle +
                           " wait on each other's outputs).");
  }

  ApplyDefaultDatastore(p);

  // Each step must make a valid command job.
  for (const auto& s : p.steps) {
    std::map<std::string, std::string> upstream;
    for (const auto& in : s.inputs) {
      if (in.kind == StepInput::Kind::kStepOutput) {
        upstream[in.step + "." + in.output] =
            "azureml://datastores/workspaceblobstore/paths/azureml/x/" + in.output;
      }
    }
    auto parsed = ParseJobSpec(StepJobSpec(p, s, upstream));
    if (!parsed.ok()) {
      return Status(parsed.status().code(),
                    fmt::format("jobs.{}: {}", s.name, parsed.status().message()));
    }
  }
  return p;
}

json StepJobSpec(const PipelineSpec& p, const PipelineStep& s,
                 const std::map<std::string, std::string>& upstream) {
  json j = {{"type", "command"}, {"command", s.command}, {"compute", s.compute}};
  j["display_name"] = s.display_name.empty() ? s.name : s.display_name;
  if (!p.experiment_name.empty()) j["experiment_name"] = p.experiment_name;
  if (!s.code.empty()) j["code"] = s.code;
  if (!s.environment.is_null()) j["environment"] = s.environment;
  if (!s.environment_variables.empty()) j["environment_variables"] = s.environment_variables;
  if (s.timeout_s > 0) j["limits"] = {{"timeout", s.timeout_s}};
  json inputs = json::object();
  for (const auto& in : s.inputs) {
    switch (in.kind) {
      case StepInput::Kind::kLiteral:
        inputs[in.name] = {{"type", in.type}, {"value", in.value}};
        break;
      case StepInput::Kind::kPath:
        inputs[in.name] = {{"type", in.type}, {"path", in.path}, {"mode", in.mode}};
        break;
      case StepInput::Kind::kStepOutput: {
        auto it = upstream.find(in.step + "." + in.output);
        inputs[in.name] = {{"type", in.type.empty() ? "uri_folder" : in.type},
                           {"path", it == upstream.end() ? "" : it->second},
                           {"mode", in.mode}};
        break;
      }
    }
  }
  if (!inputs.empty()) j["inputs"] = inputs;
  json outputs = json::object();
  for (const auto& o : s.outputs) {
    json out = {{"type", o.type}, {"mode", o.mode}};
    if (!o.asset_name.empty()) out["name"] = o.asset_name;
    if (!o.asset_version.empty()) out["version"] = o.asset_version;
    if (!o.path.empty()) out["path"] = o.path;
    outputs[o.name] = out;
  }
  if (!outputs.empty()) j["outputs"] = outputs;
  return j;
}

}  // namespace mlws::jobs
