// Which MLflow registry requests are webhook events, and their payloads: after a registry route
// succeeded, the event MLflow 3's server sends for it (mlflow/server/handlers.py), as a prompt
// event when the registered model is a prompt (tag mlflow.prompt.is_prompt = true).
#include <string_view>

#include "api/mlflow3_handlers.h"
#include "mlws/api/request_decoder.h"

namespace mlws::api {

using nlohmann::json;

namespace {

constexpr const char* kIsPromptTag = "mlflow.prompt.is_prompt";
constexpr const char* kPromptTypeTag = "_mlflow_prompt_type";
constexpr const char* kPromptTextTag = "mlflow.prompt.text";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool TrueValue(std::string v) {
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "true";
}

// The request's [{key, value}] tags as an object (the last value of a key wins).
json TagObject(const json& tags) {
  json out = json::object();
  if (!tags.is_array()) return out;
  for (const auto& t : tags) {
    if (t.is_object() && t.contains("key") && t["key"].is_string()) {
      out[t["key"].get<std::string>()] = t.value("value", "");
    }
  }
  return out;
}

bool IsPromptModel(ApiContext& ctx, const std::string& ws, const std::string& name) {
  auto rm = ctx.registry.GetRegisteredModel(ws, name);
  if (!rm.ok()) return false;
  for (const auto& t : rm->tags) {
    if (t.key == kIsPromptTag) return TrueValue(t.value);
  }
  return false;
}

std::string Str(const RequestDecoder& d, const char* name) {
  auto v = d.OptionalString(name);
  return v.ok() && *v ? **v : "";
}

// A response field as a string ("" when absent; numbers as their digits).
std::string Field(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->is_null() ? "" : it->dump();
}

json NullIfEmpty(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

}  // namespace

void NotifyWebhookEvent(ApiContext& ctx, const http::Request& req, const http::Response& resp) {
  if (resp.status != 200 || !ctx.webhooks.Enabled()) return;
  std::string_view route = req.route;
  bool post = req.method == "POST";
  bool del = req.method == "DELETE";
  bool rm_create = post && EndsWith(route, "/registered-models/create");
  bool mv_create = post && EndsWith(route, "/model-versions/create");
  bool rm_tag = (post && EndsWith(route, "/registered-models/set-tag")) ||
                (del && EndsWith(route, "/registered-models/delete-tag"));
  bool mv_tag = (post && EndsWith(route, "/model-versions/set-tag")) ||
                (del && EndsWith(route, "/model-versions/delete-tag"));
  bool alias = (post || del) && EndsWith(route, "/registered-models/alias");
  if (!rm_create && !mv_create && !rm_tag && !mv_tag && !alias) return;
  auto decoded = RequestDecoder::From(req);
  if (!decoded.ok()) return;
  const RequestDecoder& d = *decoded;
  std::string name = Str(d, "name");
  const std::string& ws = req.workspace;
  std::string set_or_deleted = post ? "SET" : "DELETED";
  if (rm_create || mv_create) {
    json tags = TagObject(d.Json("tags"));
    bool prompt = tags.contains(kIsPromptTag) && tags[kIsPromptTag].is_string() &&
                  TrueValue(tags[kIsPromptTag].get<std::string>());
    if (rm_create) {
      if (prompt) {
        tags.erase(kIsPromptTag);
        tags.erase(kPromptTypeTag);
      }
      json data = {{"name", name}, {"tags", tags}, {"description", Str(d, "description")}};
      ctx.webhooks.Notify(ws, prompt ? "PROMPT" : "REGISTERED_MODEL", "CREATED", data);
      return;
    }
    json mv = json::parse(resp.body, nullptr, false);
    if (mv.is_discarded() || !mv.contains("model_version")) return;
    mv = mv["model_version"];
    if (!mv.is_object()) return;
    std::string version = Field(mv, "version");
    json data = {{"name", name}, {"version", version}};
    if (prompt) {
      data["template"] = tags.contains(kPromptTextTag) ? tags[kPromptTextTag] : json(nullptr);
      tags.erase(kPromptTextTag);
      tags.erase(kIsPromptTag);
      tags.erase(kPromptTypeTag);
    } else {
      data["source"] = mv.contains("source") ? Field(mv, "source") : Str(d, "source");
      data["run_id"] = NullIfEmpty(Field(mv, "run_id"));
    }
    data["tags"] = tags;
    data["description"] = NullIfEmpty(Str(d, "description"));
    ctx.webhooks.Notify(ws, prompt ? "PROMPT_VERSION" : "MODEL_VERSION", "CREATED", data);
    return;
  }
  bool prompt = IsPromptModel(ctx, ws, name);
  if (rm_tag) {
    if (!prompt) return;  // MLflow sends no event for a registered model's tags
    json data = {{"name", name}, {"key", Str(d, "key")}};
    if (post) data["value"] = Str(d, "value");
    ctx.webhooks.Notify(ws, "PROMPT_TAG", set_or_deleted, data);
  } else if (mv_tag) {
    json data = {{"name", name}, {"version", Str(d, "version")}, {"key", Str(d, "key")}};
    if (post) data["value"] = Str(d, "value");
    ctx.webhooks.Notify(ws, prompt ? "PROMPT_VERSION_TAG" : "MODEL_VERSION_TAG", set_or_deleted,
                        data);
  } else {
    json data = {{"name", name}, {"alias", Str(d, "alias")}};
    if (post) data["version"] = Str(d, "version");
    ctx.webhooks.Notify(ws, prompt ? "PROMPT_ALIAS" : "MODEL_VERSION_ALIAS",
                        post ? "CREATED" : "DELETED", data);
  }
}

}  // namespace mlws::api
