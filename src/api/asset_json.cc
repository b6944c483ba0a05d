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

}  // namespace mlws::api
