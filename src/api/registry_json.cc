#include "api/registry_json.h"

#include "api/mlflow_json.h"

namespace mlws::api {

using nlohmann::json;

json ToJson(const assets::ModelVersion& v) {
  json j = {{"name", v.name},
            {"version", std::to_string(v.version)},
            {"creation_timestamp", v.creation_timestamp},
            {"last_updated_timestamp", v.last_updated_timestamp},
            {"current_stage", v.current_stage},
            {"source", v.source},
            {"status", v.status}};
  if (!v.user_id.empty()) j["user_id"] = v.user_id;
  if (!v.description.empty()) j["description"] = v.description;
  if (!v.run_id.empty()) j["run_id"] = v.run_id;
  if (!v.run_link.empty()) j["run_link"] = v.run_link;
  if (!v.tags.empty()) j["tags"] = KeyValuesJson(v.tags);
  if (!v.aliases.empty()) j["aliases"] = v.aliases;
  return j;
}

json ToJson(const assets::RegisteredModel& m) {
  json j = {{"name", m.name},
            {"creation_timestamp", m.creation_timestamp},
            {"last_updated_timestamp", m.last_updated_timestamp}};
  if (!m.user_id.empty()) j["user_id"] = m.user_id;
  if (!m.description.empty()) j["description"] = m.description;
  if (!m.latest_versions.empty()) {
    json arr = json::array();
    for (const auto& v : m.latest_versions) arr.push_back(ToJson(v));
    j["latest_versions"] = std::move(arr);
  }
  if (!m.tags.empty()) j["tags"] = KeyValuesJson(m.tags);
  if (!m.aliases.empty()) {
    json arr = json::array();
    for (const auto& a : m.aliases) {
      arr.push_back({{"alias", a.alias}, {"version", std::to_string(a.version)}});
    }
    j["aliases"] = std::move(arr);
  }
  return j;
}

}  // namespace mlws::api
