// MLflow 3 registry webhooks: validation, the Webhook document, the delivery allow-list.
#include "mlws/tracking/webhook_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "mlws/common/ids.h"

namespace mlws::tracking {

using nlohmann::json;

namespace {

const std::vector<std::string> kEntities = {
    "REGISTERED_MODEL", "MODEL_VERSION",  "MODEL_VERSION_TAG", "MODEL_VERSION_ALIAS",
    "PROMPT",           "PROMPT_VERSION", "PROMPT_TAG",        "PROMPT_VERSION_TAG",
    "PROMPT_ALIAS",     "BUDGET_POLICY"};
const std::vector<std::string> kActions = {"CREATED", "UPDATED", "DELETED", "SET", "EXCEEDED"};

bool OneOf(const std::string& v, const std::vector<std::string>& set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

// The host of an http(s) URL, lower-cased; empty if the URL is not http(s).
std::string HostOf(const std::string& url) {
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return "";
  }
  size_t end = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, end);
  if (auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  std::string host = authority;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (auto colon = host.find(':'); colon != std::string::npos) {
    host.erase(colon);
  }
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

Status ValidateInput(const WebhookInput& in, bool create) {
  if (create || in.name) {
    if (!in.name || in.name->empty()) {
      return InvalidArgument("Missing value for required parameter 'name'.");
    }
    if (in.name->size() > 63) return InvalidArgument("Webhook name must be at most 63 characters");
  }
  if (create || in.url) {
    if (!in.url || in.url->empty())
      return InvalidArgument("Missing value for required parameter 'url'.");
    if (HostOf(*in.url).empty()) {
      return InvalidArgument(
          fmt::format("Invalid webhook URL '{}': must be http:// or https:// "
                      "with a host",
                      in.url->substr(0, 200)));
    }
  }
  if (create || in.events) {
    if (!in.events || !in.events->is_array() || in.events->empty()) {
      return InvalidArgument("Webhook events must be a non-empty list of {entity, action}");
    }
    for (const auto& e : *in.events) {
      std::string entity = e.is_object() ? e.value("entity", "") : "";
      std::string action = e.is_object() ? e.value("action", "") : "";
      if (!OneOf(entity, kEntities) || !OneOf(action, kActions)) {
        return InvalidArgument(fmt::format("Invalid webhook event {}", e.dump().substr(0, 200)));
      }
    }
  }
  if (in.status && *in.status != "ACTIVE" && *in.status != "DISABLED") {
    return InvalidArgument(
        fmt::format("Invalid webhook status '{}': ACTIVE or DISABLED", in.status->substr(0, 40)));
  }
  return Status::Ok();
}

json Public(const json& doc) {
  json w = doc;
  w.erase("secret");
  return w;
}

// MLflow's example payload per event (mlflow/webhooks/types.py), sent by the test route.
json ExamplePayload(const std::string& entity, const std::string& action) {
  const json tags = {{"example_key", "example_value"}};
  if (entity == "REGISTERED_MODEL") {
    return {
        {"name", "example_model"}, {"tags", tags}, {"description", "An example registered model"}};
  }
  if (entity == "MODEL_VERSION") {
    return {{"name", "example_model"},
            {"version", "1"},
            {"source", "models:/123"},
            {"run_id", "abcd1234abcd5678"},
            {"tags", tags},
            {"description", "An example model version"}};
  }
  if (entity == "PROMPT") {
    return {{"name", "example_prompt"}, {"tags", tags}, {"description", "An example prompt"}};
  }
  if (entity == "PROMPT_VERSION") {
    return {{"name", "example_prompt"},
            {"version", "1"},
            {"template", "Hello {{name}}!"},
            {"tags", tags},
            {"description", "An example prompt version"}};
  }
  if (entity == "BUDGET_POLICY") {
    return {{"budget_policy_id", "bp-abc123"}, {"budget_unit", "USD"},
            {"budget_amount", 100.0},          {"current_spend", 105.50},
            {"duration_unit", "MONTHS"},       {"duration_value", 1},
            {"target_scope", "ENDPOINT"},      {"workspace", "default"},
            {"target_value", "ep-abc123"},     {"window_start", 1704067200000}};
  }
  bool prompt = entity.rfind("PROMPT", 0) == 0;
  json p = {{"name", prompt ? "example_prompt" : "example_model"}};
  if (entity == "MODEL_VERSION_TAG" || entity == "PROMPT_VERSION_TAG") p["version"] = "1";
  if (entity.size() > 4 && entity.compare(entity.size() - 4, 4, "_TAG") == 0) {
    p["key"] = "example_key";
    if (action == "SET") p["value"] = "example_value";
  } else {  // *_ALIAS
    p["alias"] = "example_alias";
    if (action == "CREATED") p["version"] = "1";
  }
  return p;
}

bool Subscribed(const json& webhook, const std::string& entity, const std::string& action) {
  for (const auto& e : webhook.value("events", json::array())) {
    if (e.is_object() && e.value("entity", "") == entity && e.value("action", "") == action) {
      return true;
    }
  }
  return false;
}

StatusOr<json> ParseDoc(const store::DocumentRecord& r) {
  json doc = json::parse(r.doc, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Internal("stored webhook is not valid JSON");
  return doc;
}

}  // namespace

bool WebhookService::DeliveryAllowed(const std::string& url) const {
  std::string host = HostOf(url);
  return !host.empty() && OneOf(host, allowed_hosts_);
}

StatusOr<json> WebhookService::Create(const std::string& ws, const WebhookInput& in) {
  RETURN_IF_ERROR(ValidateInput(in, true));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  std::int64_t now = NowMillis();
  json doc = {{"webhook_id", NewRunId()},
              {"name", *in.name},
              {"url", *in.url},
              {"events", *in.events},
              {"status", in.status.value_or("ACTIVE")},
              {"creation_timestamp", now},
              {"last_updated_timestamp", now}};
  if (in.description) doc["description"] = *in.description;
  if (in.secret) doc["secret"] = *in.secret;
  RETURN_IF_ERROR(store_.webhooks().Put(wid, {doc["webhook_id"], now, doc.dump()}));
  return Public(doc);
}

StatusOr<json> WebhookService::Get(const std::string& ws, const std::string& id) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto r, store_.webhooks().Get(wid, id));
  ASSIGN_OR_RETURN(json doc, ParseDoc(r));
  return Public(doc);
}

StatusOr<json> WebhookService::List(const std::string& ws, std::int64_t max_results,
                                    const std::string& page_token) {
  if (max_results <= 0 || max_results > 1000) {
    return InvalidArgument("max_results must be between 1 and 1000");
  }
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  std::int64_t offset = 0;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(offset, DecodePageToken(page_token));
  }
  ASSIGN_OR_RETURN(auto all, store_.webhooks().List(wid));
  json out = json::object();
  json page = json::array();
  auto total = static_cast<std::int64_t>(all.size());
  auto end = std::min(std::min(offset, total) + max_results, total);
  for (auto i = std::min(offset, total); i < end; ++i) {
    ASSIGN_OR_RETURN(json doc, ParseDoc(all[i]));
    page.push_back(Public(doc));
  }
  out["webhooks"] = std::move(page);
  if (end < total) out["next_page_token"] = EncodePageToken(end);
  return out;
}

StatusOr<json> WebhookService::Update(const std::string& ws, const std::string& id,
                                      const WebhookInput& in) {
  RETURN_IF_ERROR(ValidateInput(in, false));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto r, store_.webhooks().Get(wid, id));
  ASSIGN_OR_RETURN(json doc, ParseDoc(r));
  if (in.name) doc["name"] = *in.name;
  if (in.description) doc["description"] = *in.description;
  if (in.url) doc["url"] = *in.url;
  if (in.events) doc["events"] = *in.events;
  if (in.secret) doc["secret"] = *in.secret;
  if (in.status) doc["status"] = *in.status;
  doc["last_updated_timestamp"] = NowMillis();
  RETURN_IF_ERROR(store_.webhooks().Put(wid, {id, r.creation_ms, doc.dump()}));
  return Public(doc);
}

Status WebhookService::Delete(const std::string& ws, const std::string& id) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.webhooks().Delete(wid, id);
}

StatusOr<json> WebhookService::Test(const std::string& ws, const std::string& id,
                                    const json& event) {
  ASSIGN_OR_RETURN(auto wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto r, store_.webhooks().Get(wid, id));
  ASSIGN_OR_RETURN(json doc, ParseDoc(r));
  json ev = event;
  if (ev.is_null()) {
    const json& events = doc.value("events", json::array());
    if (!events.is_array() || events.empty()) return InvalidArgument("Webhook has no events");
    ev = events[0];
  }
  if (!ev.is_object()) return InvalidArgument("event must be an object {entity, action}");
  std::string entity = ev.value("entity", "");
  std::string action = ev.value("action", "");
  if (!OneOf(entity, kEntities) || !OneOf(action, kActions)) {
    return InvalidArgument(fmt::format("Invalid webhook event {}", ev.dump().substr(0, 200)));
  }
  std::string url = doc.value("url", "");
  if (!DeliveryAllowed(url)) {
    return json{{"success", false},
                {"error_message", fmt::format("Delivery to host '{}' is not allowed: add it to "
                                              "MLWS_WEBHOOK_ALLOWED_HOSTS on the server",
                                              HostOf(url))}};
  }
  if (sender_ == nullptr) {
    return json{{"success", false}, {"error_message", "webhook delivery is not configured"}};
  }
  WebhookAttempt a = sender_->SendNow(
      {url, doc.value("secret", ""), entity, action, ExamplePayload(entity, action)});
  if (!a.status) {
    return json{{"success", false}, {"error_message", "Failed to test webhook: " + a.error}};
  }
  return json{
      {"success", *a.status < 400}, {"response_status", *a.status}, {"response_body", a.body}};
}

void WebhookService::Notify(const std::string& ws, const std::string& entity,
                            const std::string& action, const json& data) {
  if (!Enabled()) return;
  auto wid = tracking_.WorkspaceId(ws);
  if (!wid.ok()) return;
  auto all = store_.webhooks().List(*wid);
  if (!all.ok()) {
    spdlog::warn("webhooks: cannot list the webhooks of {}: {}", ws, all.status().message());
    return;
  }
  for (const auto& r : *all) {
    auto doc = ParseDoc(r);
    if (!doc.ok() || doc->value("status", "") != "ACTIVE" || !Subscribed(*doc, entity, action)) {
      continue;
    }
    std::string url = doc->value("url", "");
    if (!DeliveryAllowed(url)) continue;  // stored, never contacted (docs/mlflow3.md)
    if (!sender_->Enqueue({url, doc->value("secret", ""), entity, action, data})) {
      spdlog::warn("webhooks: queue full, {}.{} for webhook {} dropped", entity, action, r.id);
    }
  }
}

}  // namespace mlws::tracking
