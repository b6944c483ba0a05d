// Every /api/v1 route declares the bodies it reads and renders, every schema it names exists,
// and the shared codecs render exactly the fields their schemas declare.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "api/asset_json.h"
#include "api/mlflow_json.h"
#include "mlws/api/openapi_schema.h"
#include "mlws/api/routes.h"

namespace mlws::api {
namespace {

using nlohmann::json;

TEST(OpenApiSchemasTest, EveryApiV1RouteDeclaresItsBodies) {
  int checked = 0;
  for (const auto& r : RouteTable()) {
    if (!r.path.starts_with("/api/v1/")) continue;
    ASSERT_NE(r.schema, nullptr) << r.method << " " << r.path << " declares no schema";
    const RouteSchema& s = *r.schema;
    EXPECT_TRUE(s.status >= 200 && s.status < 300) << r.path;
    if (s.response_media == "application/json") {
      EXPECT_FALSE(s.response.empty()) << r.method << " " << r.path << " has no response schema";
    }
    bool reads_body = r.method == "POST" || r.method == "PUT" || r.method == "PATCH";
    bool takes_nothing = r.path.ends_with("/cancel") || r.path.ends_with("/archive") ||
                         r.path.ends_with("/restore") ||
                         r.path.find("/members/") != std::string::npos;
    if (reads_body && !takes_nothing) {
      EXPECT_FALSE(s.request.empty()) << r.method << " " << r.path << " has no request schema";
    }
    ++checked;
  }
  EXPECT_GT(checked, 90);
}

void CollectRefs(const json& j, std::set<std::string>& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "$ref" && it->is_string()) out.insert(it->get<std::string>());
      CollectRefs(*it, out);
    }
  } else if (j.is_array()) {
    for (const auto& e : j) CollectRefs(e, out);
  }
}

TEST(OpenApiSchemasTest, EveryNamedSchemaExists) {
  const json& schemas = ComponentSchemas();
  std::set<std::string> refs;
  CollectRefs(schemas, refs);
  for (const auto& r : RouteTable()) {
    if (r.schema == nullptr) continue;
    if (!r.schema->request.empty()) refs.insert("#/components/schemas/" + r.schema->request);
    if (!r.schema->response.empty()) refs.insert("#/components/schemas/" + r.schema->response);
  }
  constexpr std::string_view kPrefix = "#/components/schemas/";
  for (const auto& ref : refs) {
    ASSERT_TRUE(ref.starts_with(kPrefix)) << ref;
    EXPECT_TRUE(schemas.contains(ref.substr(kPrefix.size()))) << ref << " is not defined";
  }
}

// The keys a codec renders for a default value are the schema's required keys, and every key
// it renders is declared.
void ExpectRendersSchema(const json& rendered, const json& schema) {
  std::set<std::string> keys, required, declared;
  for (auto it = rendered.begin(); it != rendered.end(); ++it) keys.insert(it.key());
  for (const auto& k : schema["required"]) required.insert(k.get<std::string>());
  for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) {
    declared.insert(it.key());
  }
  EXPECT_EQ(keys, required);
  for (const auto& k : keys) EXPECT_TRUE(declared.contains(k)) << k;
}

TEST(OpenApiSchemasTest, SharedCodecsRenderTheirSchemas) {
  ExpectRendersSchema(ToJson(assets::Asset{}), AssetSchema());
  ExpectRendersSchema(ToJson(assets::RunRef{}), RunRefSchema());
  ExpectRendersSchema(ToJson(tracking::Workspace{}), WorkspaceSchema());
  assets::Datastore d;
  d.spec_json = "{}";
  ExpectRendersSchema(ToJson(d), DatastoreSchema());
}

}  // namespace
}  // namespace mlws::api
