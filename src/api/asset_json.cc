#include "api/asset_json.h"

namespace mlws::api {

using nlohmann::json;

json ToJson(const assets::Asset& a) {
  json spec = json::parse(a.spec_json, nullptr, false);
  if (spec.is_discarded()) spec = json::object();
  std::string id = std::string("azureml:") + a.name + ":" + a.version;
  return json{{"id", id},
              {"kind", assets::KindName(a.kind)},
              {"name", a.name},
              {"version", a.version},
              {"type", a.type},
              {"description", a.description},
              {"tags", a.tags},
              {"properties", a.properties},
              {"path", a.path},
              {"archived", a.archived},
              {"content_hash", a.content_hash},
              {"source_run_id", a.source_run_id},
              {"created_at", a.created_at},
              {"updated_at", a.updated_at},
              {"created_by", a.created_by},
              {"spec", spec}};
}

json ToJson(const assets::Datastore& d) {
  json spec = json::parse(d.spec_json, nullptr, false);
  json out = {{"name", d.name},
              {"type", d.type},
              {"description", d.description},
              {"is_default", d.is_default},
              {"created_at", d.created_at},
              {"created_by", d.created_by}};
  if (spec.is_object()) {
    for (auto it = spec.begin(); it != spec.end(); ++it) out[it.key()] = *it;
  }
  return out;
}

json ToJson(const assets::RunRef& r) {
  return json{{"run_id", r.run_id},
              {"experiment_id", r.experiment_id},
              {"run_name", r.run_name},
              {"status", r.status}};
}

json AssetSchema() {
  return json::parse(R"({
    "type": "object", "additionalProperties": false,
    "required": ["id", "kind", "name", "version", "type", "description", "tags", "properties",
                 "path", "archived", "content_hash", "source_run_id", "created_at", "updated_at",
                 "created_by", "spec"],
    "properties": {
      "id": {"type": "string", "description": "azureml:<name>:<version>"},
      "kind": {"enum": ["model", "data", "environment", "component"]},
      "name": {"type": "string"}, "version": {"type": "string"}, "type": {"type": "string"},
      "description": {"type": "string"},
      "tags": {"type": "object", "additionalProperties": {"type": "string"}},
      "properties": {"type": "object", "additionalProperties": {"type": "string"}},
      "path": {"type": "string"}, "archived": {"type": "boolean"},
      "content_hash": {"type": "string"}, "source_run_id": {"type": "string"},
      "created_at": {"type": "integer"}, "updated_at": {"type": "integer"},
      "created_by": {"type": "string"},
      "spec": {"type": "object", "description": "the validated spec, kind-specific fields included"}
    }})");
}

json DatastoreSchema() {
  // The type-specific fields of the spec (path; bucket, prefix, endpoint_url, ...) are merged in.
  return json::parse(R"({
    "type": "object",
    "required": ["name", "type", "description", "is_default", "created_at", "created_by"],
    "properties": {
      "name": {"type": "string"}, "type": {"type": "string"}, "description": {"type": "string"},
      "is_default": {"type": "boolean"}, "created_at": {"type": "integer"},
      "created_by": {"type": "string"},
      "path": {"type": "string"}, "bucket": {"type": "string"}, "prefix": {"type": "string"},
      "endpoint_url": {"type": "string"}, "region": {"type": "string"},
      "credentials_secret": {"type": "string"},
      "shared": {"type": "boolean"}, "granted_to": {"type": "array"}
    },
    "additionalProperties": true})");
}

json RunRefSchema() {
  return json::parse(R"({
    "type": "object", "additionalProperties": false,
    "required": ["run_id", "experiment_id", "run_name", "status"],
    "properties": {"run_id": {"type": "string"}, "experiment_id": {"type": "string"},
                   "run_name": {"type": "string"}, "status": {"type": "string"}}})");
}

}  // namespace mlws::api
