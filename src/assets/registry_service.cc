#include "mlws/assets/registry_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "mlws/tracking/search_filter.h"

namespace mlws::assets {

using tracking::KeyValue;

namespace {

constexpr std::int64_t kMaxModelsPerPage = 1000;
constexpr std::int64_t kMaxVersionsPerPage = 200000;

Status ValidateModelName(const std::string& name) {
  if (name.empty()) {
    return InvalidArgument(
        "Missing value for required parameter 'name'. See the API docs for "
        "more information about request parameters.");
  }
  if (name.size() > 500) return InvalidArgument("Registered model names are limited to 500.");
  return Status::Ok();
}

Status ValidateRegistryTag(const KeyValue& t) {
  if (t.key.empty()) return InvalidArgument("Tag keys cannot be empty.");
  if (t.key.size() > 250) {
    return InvalidArgument(
        fmt::format("Tag key '{}' had length {}, which exceeded length limit "
                    "of 250",
                    t.key.substr(0, 100), t.key.size()));
  }
  if (t.value.size() > 5000) {
    return InvalidArgument(
        fmt::format("Tag value had length {}, which exceeded length limit of "
                    "5000",
                    t.value.size()));
  }
  return Status::Ok();
}

StatusOr<std::int64_t> ParseVersion(const std::string& version) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(version.data(), version.data() + version.size(), v);
  if (version.empty() || ec != std::errc() || p != version.data() + version.size() || v < 1) {
    return InvalidArgument("Model version must be a positive integer, got '" +
                           version.substr(0, 40) + "'");
  }
  return v;
}

Status ValidateAlias(const std::string& alias) {
  bool ok = !alias.empty() && alias.size() <= 255;
  for (char c : alias) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') ok = false;
  }
  if (!ok) {
    return InvalidArgument("Invalid alias name: '" + alias.substr(0, 100) +
                           "'. Names may only contain alphanumerics, underscores (_) and dashes "
                           "(-), and be at most 255 characters.");
  }
  std::string lower;
  for (char c : alias) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool version_like = lower.size() > 1 && lower[0] == 'v' &&
                      std::all_of(lower.begin() + 1, lower.end(), [](char c) {
                        return std::isdigit(static_cast<unsigned char>(c));
                      });
  if (lower == "latest" || version_like) {
    return InvalidArgument("'" + alias + "' is reserved and cannot be used as an alias.");
  }
  return Status::Ok();
}

// Model sources are URIs resolved by clients; refuse traversal and the server's own filesystem.
Status ValidateSource(const std::string& source) {
  if (source.empty()) {
    return InvalidArgument(
        "Missing value for required parameter 'source'. See the API docs for "
        "more information about request parameters.");
  }
  size_t start = 0;
  while (start <= source.size()) {
    size_t end = source.find('/', start);
    if (end == std::string::npos) end = source.size();
    if (source.compare(start, end - start, "..") == 0) {
      return InvalidArgument("Invalid model version source: '" + source.substr(0, 200) +
                             "'. Sources must not contain '..' path segments.");
    }
    start = end + 1;
  }
  if (source.front() == '/' || source.rfind("file:", 0) == 0) {
    return InvalidArgument("Invalid model version source: '" + source.substr(0, 200) +
                           "'. Local paths of the server are not accepted; use a runs:/, "
                           "models:/, mlflow-artifacts:/ or storage URI.");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> CanonicalStage(std::string_view stage) {
  std::string lower;
  for (char c : stage) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "none") return std::string("None");
  if (lower == "staging") return std::string("Staging");
  if (lower == "production") return std::string("Production");
  if (lower == "archived") return std::string("Archived");
  return InvalidArgument("Invalid Model Version stage: " + std::string(stage.substr(0, 40)) +
                         ". Value must be one of None, Staging, Production, Archived.");
}

StatusOr<RegisteredModel> RegistryService::CreateRegisteredModel(
    const std::string& ws, const std::string& name, const std::string& description,
    const std::vector<KeyValue>& tags) {
  RETURN_IF_ERROR(ValidateModelName(name));
  for (const auto& t : tags) RETURN_IF_ERROR(ValidateRegistryTag(t));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().CreateRegisteredModel(wid, name, description, tags);
}

StatusOr<RegisteredModel> RegistryService::GetRegisteredModel(const std::string& ws,
                                                              const std::string& name) {
  RETURN_IF_ERROR(ValidateModelName(name));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().GetRegisteredModel(wid, name);
}

StatusOr<RegisteredModel> RegistryService::RenameRegisteredModel(const std::string& ws,
                                                                 const std::string& name,
                                                                 const std::string& new_name) {
  RETURN_IF_ERROR(ValidateModelName(name));
  RETURN_IF_ERROR(ValidateModelName(new_name));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().RenameRegisteredModel(wid, name, new_name);
}

StatusOr<RegisteredModel> RegistryService::UpdateRegisteredModel(const std::string& ws,
                                                                 const std::string& name,
                                                                 const std::string& description) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().UpdateRegisteredModel(wid, name, description);
}

Status RegistryService::DeleteRegisteredModel(const std::string& ws, const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().DeleteRegisteredModel(wid, name);
}

StatusOr<store::RegistryQuery> RegistryService::BuildQuery(const std::string& ws,
                                                           const RegistrySearch& req,
                                                           bool model_versions) {
  std::int64_t max = model_versions ? kMaxVersionsPerPage : kMaxModelsPerPage;
  if (req.max_results < 1 || req.max_results > max) {
    return InvalidArgument(fmt::format(
        "Invalid value for max_results. It must be at most {}, but got {}", max, req.max_results));
  }
  store::RegistryQuery q;
  ASSIGN_OR_RETURN(q.workspace_id, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(q.filter, model_versions ? tracking::ParseModelVersionFilter(req.filter)
                                            : tracking::ParseRegisteredModelFilter(req.filter));
  for (const auto& o : req.order_by) {
    ASSIGN_OR_RETURN(auto ob, tracking::ParseRegistryOrderBy(o, model_versions));
    q.order_by.push_back(std::move(ob));
  }
  ASSIGN_OR_RETURN(q.offset, tracking::DecodePageToken(req.page_token));
  q.limit = req.max_results;
  return q;
}

namespace {
// The store returns up to limit+1 items: the extra one means another page exists.
template <typename T>
std::string TrimToPage(std::vector<T>& items, const store::RegistryQuery& q) {
  if (static_cast<std::int64_t>(items.size()) <= q.limit) return "";
  items.pop_back();
  return tracking::EncodePageToken(q.offset + q.limit);
}
}  // namespace

StatusOr<RegisteredModelsPage> RegistryService::SearchRegisteredModels(const std::string& ws,
                                                                       const RegistrySearch& req) {
  ASSIGN_OR_RETURN(store::RegistryQuery q, BuildQuery(ws, req, false));
  RegisteredModelsPage page;
  ASSIGN_OR_RETURN(page.models, store_.registry().SearchRegisteredModels(q));
  page.next_page_token = TrimToPage(page.models, q);
  return page;
}

StatusOr<std::vector<ModelVersion>> RegistryService::GetLatestVersions(
    const std::string& ws, const std::string& name, const std::vector<std::string>& stages) {
  ASSIGN_OR_RETURN(RegisteredModel m, GetRegisteredModel(ws, name));
  std::vector<std::string> wanted;
  for (const auto& s : stages) {
    ASSIGN_OR_RETURN(std::string c, CanonicalStage(s));
    wanted.push_back(c);
  }
  std::vector<ModelVersion> out;
  for (auto& v : m.latest_versions) {
    if (wanted.empty() ||
        std::find(wanted.begin(), wanted.end(), v.current_stage) != wanted.end()) {
      out.push_back(std::move(v));
    }
  }
  return out;
}

Status RegistryService::SetRegisteredModelTag(const std::string& ws, const std::string& name,
                                              const KeyValue& tag) {
  RETURN_IF_ERROR(ValidateRegistryTag(tag));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().SetRegisteredModelTag(wid, name, tag);
}

Status RegistryService::DeleteRegisteredModelTag(const std::string& ws, const std::string& name,
                                                 const std::string& key) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().DeleteRegisteredModelTag(wid, name, key);
}

Status RegistryService::SetAlias(const std::string& ws, const std::string& name,
                                 const std::string& alias, const std::string& version) {
  RETURN_IF_ERROR(ValidateAlias(alias));
  ASSIGN_OR_RETURN(std::int64_t v, ParseVersion(version));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().SetAlias(wid, name, alias, v);
}

Status RegistryService::DeleteAlias(const std::string& ws, const std::string& name,
                                    const std::string& alias) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().DeleteAlias(wid, name, alias);
}

StatusOr<ModelVersion> RegistryService::GetVersionByAlias(const std::string& ws,
                                                          const std::string& name,
                                                          const std::string& alias) {
  std::string lower;
  for (char c : alias) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "latest") {
    // The reserved alias (MLflow 3's prompt registry uses it): the highest version, whatever its
    // stage. It cannot be set (ValidateAlias).
    ASSIGN_OR_RETURN(std::vector<ModelVersion> latest, GetLatestVersions(ws, name, {}));
    if (latest.empty()) return NotFound("Latest version not found for model " + name + ".");
    return *std::max_element(latest.begin(), latest.end(),
                             [](const auto& a, const auto& b) { return a.version < b.version; });
  }
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().GetVersionByAlias(wid, name, alias);
}

StatusOr<ModelVersion> RegistryService::CreateModelVersion(const std::string& ws, ModelVersion v) {
  RETURN_IF_ERROR(CheckNewModelVersion(ws, v));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().CreateModelVersion(wid, v);
}

Status RegistryService::CheckNewModelVersion(const std::string& ws, const ModelVersion& v) {
  RETURN_IF_ERROR(ValidateModelName(v.name));
  RETURN_IF_ERROR(ValidateSource(v.source));
  for (const auto& t : v.tags) RETURN_IF_ERROR(ValidateRegistryTag(t));
  if (!v.run_id.empty()) {
    // Lineage: the run must exist in this workspace.
    ASSIGN_OR_RETURN(auto run, tracking_.GetRun(ws, v.run_id));
    (void)run;
  }
  return Status::Ok();
}

StatusOr<ModelVersion> RegistryService::GetModelVersion(const std::string& ws,
                                                        const std::string& name,
                                                        const std::string& version) {
  ASSIGN_OR_RETURN(std::int64_t v, ParseVersion(version));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().GetModelVersion(wid, name, v);
}

StatusOr<ModelVersion> RegistryService::UpdateModelVersion(const std::string& ws,
                                                           const std::string& name,
                                                           const std::string& version,
                                                           const std::string& description) {
  ASSIGN_OR_RETURN(std::int64_t v, ParseVersion(version));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().UpdateModelVersion(wid, name, v, description);
}

Status RegistryService::DeleteModelVersion(const std::string& ws, const std::string& name,
                                           const std::string& version) {
  ASSIGN_OR_RETURN(std::int64_t v, ParseVersion(version));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().DeleteModelVersion(wid, name, v);
}

StatusOr<ModelVersion> RegistryService::TransitionStage(const std::string& ws,
                                                        const std::string& name,
                                                        const std::string& version,
                                                        const std::string& stage,
                                                        bool archive_existing) {
  ASSIGN_OR_RETURN(std::int64_t v, ParseVersion(version));
  ASSIGN_OR_RETURN(std::string canonical, CanonicalStage(stage));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().TransitionStage(wid, name, v, canonical, archive_existing);
}

StatusOr<ModelVersionsPage> RegistryService::SearchModelVersions(const std::string& ws,
                                                                 const RegistrySearch& req) {
  ASSIGN_OR_RETURN(store::RegistryQuery q, BuildQuery(ws, req, true));
  ModelVersionsPage page;
  ASSIGN_OR_RETURN(page.versions, store_.registry().SearchModelVersions(q));
  page.next_page_token = TrimToPage(page.versions, q);
  return page;
}

Status RegistryService::SetModelVersionTag(const std::string& ws, const std::string& name,
                                           const std::string& version, const KeyValue& tag) {
  RETURN_IF_ERROR(ValidateRegistryTag(tag));
  ASSIGN_OR_RETURN(std::int64_t v, ParseVersion(version));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().SetModelVersionTag(wid, name, v, tag);
}

Status RegistryService::DeleteModelVersionTag(const std::string& ws, const std::string& name,
                                              const std::string& version, const std::string& key) {
  ASSIGN_OR_RETURN(std::int64_t v, ParseVersion(version));
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.registry().DeleteModelVersionTag(wid, name, v, key);
}

}  // namespace mlws::assets
