// Online endpoint and deployment specs (see include/mlws/serving/online_spec.h).
#include "mlws/serving/online_spec.h"

#include <fmt/format.h>

#include <cctype>
#include <set>
#include <sstream>

#include "serving/spec_fields.h"

namespace mlws::serving {

using nlohmann::json;

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RequestSettings, request_timeout_ms,
                                                max_concurrent_requests_per_instance,
                                                max_queue_wait_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProbeSettings, initial_delay_s, period_s, timeout_s,
                                                failure_threshold, success_threshold)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InstanceRecord, generation, index, supervisor_pid,
                                                supervisor_start, process_pid, dir)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OnlineEndpoint, name, description, auth_mode,
                                                traffic, mirror_traffic, tags, primary_key,
                                                secondary_key, created_ms, updated_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(
    OnlineDeployment, name, endpoint_name, description, model, environment, code, scoring_script,
    instance_type, instance_count, request_settings, liveness_probe, readiness_probe,
    environment_variables, tags, model_ref, model_type, model_local, model_folder, code_local,
    environment_ref, env_bin_dir, provisioning_state, error, generation, instances, created_ms,
    updated_ms)

namespace {

using spec::CheckKnown;
using spec::Field;
using spec::IntIn;
using spec::OptString;
using spec::StringMap;

Status ParseProbe(const json& spec, const std::string& key, ProbeSettings& p) {
  if (!spec.contains(key) || spec[key].is_null()) return Status::Ok();
  if (!spec[key].is_object()) return Field(key, "must be a mapping");
  const json& o = spec[key];
  std::string pre = key + ".";
  RETURN_IF_ERROR(IntIn(o, pre, "initial_delay", 0, 3600, p.initial_delay_s));
  RETURN_IF_ERROR(IntIn(o, pre, "period", 1, 3600, p.period_s));
  RETURN_IF_ERROR(IntIn(o, pre, "timeout", 1, 3600, p.timeout_s));
  RETURN_IF_ERROR(IntIn(o, pre, "failure_threshold", 1, 1000, p.failure_threshold));
  RETURN_IF_ERROR(IntIn(o, pre, "success_threshold", 1, 1000, p.success_threshold));
  return Status::Ok();
}

}  // namespace

Status ValidateName(const std::string& what, const std::string& name) {
  bool ok =
      name.size() >= 3 && name.size() <= 32 && std::isalpha(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
  ok = ok && name.back() != '-';
  if (!ok) {
    return InvalidArgument(fmt::format(
        "invalid {} name '{}': 3-32 letters, digits or '-', starting with a letter and not "
        "ending with '-'",
        what, name));
  }
  return Status::Ok();
}

StatusOr<Traffic> ParseTraffic(const std::string& field, const json& t) {
  Traffic out;
  if (t.is_null()) return out;
  auto add = [&](const std::string& name, const json& v) -> Status {
    if (!v.is_number_integer()) return Field(field + "." + name, "must be an integer percent");
    auto n = v.get<std::int64_t>();
    if (n < 0 || n > 100) return Field(field + "." + name, "must be within 0..100");
    out[name] = static_cast<int>(n);
    return Status::Ok();
  };
  if (t.is_object()) {
    for (const auto& [k, v] : t.items()) RETURN_IF_ERROR(add(k, v));
    return out;
  }
  if (!t.is_string()) return Field(field, "must be a mapping {deployment: percent}");
  // The CLI form: "blue=90 green=10" (commas allowed too).
  std::string s = t.get<std::string>();
  for (char& c : s) c = c == ',' ? ' ' : c;
  std::istringstream in(s);
  std::string item;
  while (in >> item) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Field(field, "must look like \"blue=90 green=10\"; got '" + item + "'");
    }
    std::string num = item.substr(eq + 1);
    if (num.empty() || num.size() > 3 || num.find_first_not_of("0123456789") != std::string::npos) {
      return Field(field + "." + item.substr(0, eq), "must be an integer percent");
    }
    RETURN_IF_ERROR(add(item.substr(0, eq), json(std::stoi(num))));
  }
  return out;
}

StatusOr<OnlineEndpoint> ParseEndpointSpec(const json& spec) {
  if (!spec.is_object()) return BadRequest("the endpoint spec must be a JSON object");
  RETURN_IF_ERROR(
      CheckKnown(spec,
                 {"$schema", "name", "description", "auth_mode", "traffic", "mirror_traffic",
                  "tags", "identity", "kind", "public_network_access"},
                 "managedOnlineEndpoint"));
  OnlineEndpoint e;
  ASSIGN_OR_RETURN(e.name, OptString(spec, "name"));
  if (e.name.empty()) return Field("name", "is required");
  RETURN_IF_ERROR(ValidateName("endpoint", e.name));
  ASSIGN_OR_RETURN(e.description, OptString(spec, "description"));
  ASSIGN_OR_RETURN(std::string mode, OptString(spec, "auth_mode"));
  if (!mode.empty()) e.auth_mode = mode;
  if (e.auth_mode != "key" && e.auth_mode != "aml_token") {
    return Field("auth_mode", "must be 'key' or 'aml_token' (got '" + e.auth_mode + "')");
  }
  ASSIGN_OR_RETURN(e.tags, StringMap(spec, "tags"));
  if (spec.contains("traffic")) {
    ASSIGN_OR_RETURN(e.traffic, ParseTraffic("traffic", spec["traffic"]));
  }
  if (spec.contains("mirror_traffic")) {
    ASSIGN_OR_RETURN(e.mirror_traffic, ParseTraffic("mirror_traffic", spec["mirror_traffic"]));
  }
  return e;
}

StatusOr<OnlineEndpoint> ApplyEndpointUpdate(const OnlineEndpoint& base, const json& spec) {
  if (!spec.is_object()) return BadRequest("the endpoint spec must be a JSON object");
  json merged = EndpointToJson(base);
  for (const char* k : {"primary_key", "secondary_key", "created_ms", "updated_ms",
                        "provisioning_state", "scoring_uri", "openapi_uri"}) {
    merged.erase(k);
  }
  for (const auto& [k, v] : spec.items()) {
    if (k == "name" && v != json(base.name)) {
      return Field("name", "cannot change (it is '" + base.name + "')");
    }
    if (k == "auth_mode" && v.is_string() && v.get<std::string>() != base.auth_mode) {
      return Field("auth_mode", "cannot change after creation (it is '" + base.auth_mode + "')");
    }
    merged[k] = v;
  }
  ASSIGN_OR_RETURN(OnlineEndpoint e, ParseEndpointSpec(merged));
  e.primary_key = base.primary_key;
  e.secondary_key = base.secondary_key;
  e.created_ms = base.created_ms;
  return e;
}

Status ValidateTraffic(const Traffic& traffic, const Traffic& mirror,
                       const std::vector<std::string>& deployments) {
  std::set<std::string> known(deployments.begin(), deployments.end());
  int sum = 0;
  for (const auto& [name, pct] : traffic) {
    if (!known.count(name) && pct > 0) {
      return InvalidArgument(fmt::format(
          "traffic names deployment '{}', which does not exist in this endpoint", name));
    }
    sum += pct;
  }
  if (sum != 0 && sum != 100) {
    return InvalidArgument(fmt::format("traffic must sum to 0 or 100 percent; it sums to {}", sum));
  }
  for (const auto& [name, pct] : mirror) {
    if (pct == 0) continue;
    if (!known.count(name)) {
      return InvalidArgument(fmt::format(
          "mirror_traffic names deployment '{}', which does not exist in this endpoint", name));
    }
    if (pct > 50) {
      return InvalidArgument(
          fmt::format("mirror_traffic.{} is {}: at most 50 percent may be mirrored", name, pct));
    }
    auto live = traffic.find(name);
    if (live != traffic.end() && live->second > 0) {
      return InvalidArgument(fmt::format(
          "deployment '{}' takes live traffic ({}%), so it cannot also receive mirrored traffic",
          name, live->second));
    }
  }
  int mirrored = 0;
  for (const auto& [name, pct] : mirror) mirrored += pct > 0 ? 1 : 0;
  if (mirrored > 1) return InvalidArgument("mirror_traffic may name one deployment only");
  return Status::Ok();
}

StatusOr<OnlineDeployment> ParseDeploymentSpec(const json& spec, const std::string& endpoint) {
  if (!spec.is_object()) return BadRequest("the deployment spec must be a JSON object");
  RETURN_IF_ERROR(CheckKnown(
      spec,
      {"$schema", "name", "endpoint_name", "description", "model", "code_configuration",
       "environment", "instance_type", "instance_count", "request_settings", "liveness_probe",
       "readiness_probe", "environment_variables", "tags", "app_insights_enabled", "scale_settings",
       "egress_public_network_access", "data_collector", "type"},
      "managedOnlineDeployment"));
  OnlineDeployment d;
  ASSIGN_OR_RETURN(d.name, OptString(spec, "name"));
  if (d.name.empty()) return Field("name", "is required");
  RETURN_IF_ERROR(ValidateName("deployment", d.name));
  ASSIGN_OR_RETURN(d.endpoint_name, OptString(spec, "endpoint_name"));
  if (!d.endpoint_name.empty() && d.endpoint_name != endpoint) {
    return Field("endpoint_name",
                 fmt::format("is '{}' but the deployment is created in endpoint '{}'",
                             d.endpoint_name, endpoint));
  }
  d.endpoint_name = endpoint;
  ASSIGN_OR_RETURN(d.description, OptString(spec, "description"));
  ASSIGN_OR_RETURN(d.instance_type, OptString(spec, "instance_type"));
  RETURN_IF_ERROR(spec::ParseModel(spec, d.model));
  RETURN_IF_ERROR(spec::ParseCodeAndEnvironment(spec, d.code, d.scoring_script, d.environment));
  RETURN_IF_ERROR(IntIn(spec, "", "instance_count", 1, 16, d.instance_count));
  if (spec.contains("request_settings") && !spec["request_settings"].is_null()) {
    const json& rs = spec["request_settings"];
    if (!rs.is_object()) return Field("request_settings", "must be a mapping");
    RequestSettings& r = d.request_settings;
    RETURN_IF_ERROR(
        IntIn(rs, "request_settings.", "request_timeout_ms", 1, 180000, r.request_timeout_ms));
    RETURN_IF_ERROR(IntIn(rs, "request_settings.", "max_concurrent_requests_per_instance", 1, 1000,
                          r.max_concurrent_requests_per_instance));
    RETURN_IF_ERROR(
        IntIn(rs, "request_settings.", "max_queue_wait_ms", 0, 180000, r.max_queue_wait_ms));
  }
  RETURN_IF_ERROR(ParseProbe(spec, "liveness_probe", d.liveness_probe));
  RETURN_IF_ERROR(ParseProbe(spec, "readiness_probe", d.readiness_probe));
  ASSIGN_OR_RETURN(d.environment_variables, StringMap(spec, "environment_variables"));
  ASSIGN_OR_RETURN(d.tags, StringMap(spec, "tags"));
  return d;
}

json EndpointToJson(const OnlineEndpoint& e) { return json(e); }

StatusOr<OnlineEndpoint> EndpointFromJson(const json& j) {
  return spec::FromStored<OnlineEndpoint>(j, "endpoint");
}

json DeploymentToJson(const OnlineDeployment& d) { return json(d); }

StatusOr<OnlineDeployment> DeploymentFromJson(const json& j) {
  return spec::FromStored<OnlineDeployment>(j, "deployment");
}

}  // namespace mlws::serving
