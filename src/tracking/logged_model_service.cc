// MLflow 3 logged models: validation, the document's shape, search (filter, order, pages).
// Search evaluates the filter over the experiments' models in memory (one read, then filter,
// sort, page): logged models are few per experiment compared with runs.
#include "mlws/tracking/logged_model_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "mlws/common/ids.h"
#include "mlws/tracking/search_filter.h"
#include "mlws/tracking/validation.h"
#include "tracking/like_match.h"
#include "tracking/time_page.h"

namespace mlws::tracking {

using nlohmann::json;

namespace {

constexpr const char* kPending = "LOGGED_MODEL_PENDING";
constexpr const char* kReady = "LOGGED_MODEL_READY";
constexpr const char* kFailed = "LOGGED_MODEL_UPLOAD_FAILED";

// MLflow's rule (mlflow/utils/validation.py _validate_logged_model_name).
Status ValidateModelName(const std::string& name) {
  if (name.empty()) return InvalidArgument("Logged model name cannot be empty.");
  if (name.size() > 500) return InvalidArgument("Logged model name is longer than 500 characters.");
  for (char c : name) {
    if (c == '/' || c == ':' || c == '.' || c == '%' || c == '"' || c == '\'') {
      return InvalidArgument(fmt::format(
          "Invalid model name ('{}') provided. Model name must not contain any of the following "
          "characters: ['/', ':', '.', '%', '\"', \"'\"]",
          name));
    }
  }
  return Status::Ok();
}

// Member `key` of an object, or null: const operator[] on a missing key is undefined.
const json& At(const json& j, const std::string& key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

json KvArray(const std::vector<KeyValue>& kvs) {
  json a = json::array();
  for (const auto& kv : kvs) a.push_back({{"key", kv.key}, {"value", kv.value}});
  return a;
}

// Sets (or replaces) key in an array of {"key","value"} objects.
void UpsertKv(json& arr, const KeyValue& kv) {
  for (auto& e : arr) {
    if (e.value("key", "") == kv.key) {
      e["value"] = kv.value;
      return;
    }
  }
  arr.push_back({{"key", kv.key}, {"value", kv.value}});
}

const json* FindKv(const json& arr, const std::string& key) {
  if (!arr.is_array()) return nullptr;
  for (const auto& e : arr) {
    if (e.value("key", "") == key) return &e;
  }
  return nullptr;
}

StatusOr<json> ParseDoc(const store::LoggedModelRecord& r) {
  json doc = json::parse(r.doc, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Internal("stored logged model '" + r.model_id + "' is not valid JSON");
  }
  return doc;
}

bool MetricOnDatasets(const json& m, const std::vector<LoggedModelDataset>& datasets) {
  if (datasets.empty()) return true;
  for (const auto& d : datasets) {
    if (m.value("dataset_name", "") != d.name) continue;
    if (d.digest && m.value("dataset_digest", "") != *d.digest) continue;
    return true;
  }
  return false;
}

std::optional<double> MetricValue(const json& model, const std::string& key,
                                  const std::vector<LoggedModelDataset>& datasets) {
  const json& metrics = At(At(model, "data"), "metrics");
  if (!metrics.is_array()) return std::nullopt;
  for (const auto& m : metrics) {
    if (m.value("key", "") == key && MetricOnDatasets(m, datasets)) {
      const json& v = At(m, "value");
      if (v.is_number()) return v.get<double>();
      if (v.is_string()) {  // NaN / Infinity as protobuf JSON writes them
        const auto& s = v.get_ref<const std::string&>();
        if (s == "NaN") return std::nan("");
        if (s == "Infinity") return INFINITY;
        if (s == "-Infinity") return -INFINITY;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> StringField(const json& model, const Clause& c) {
  const json& info = At(model, "info");
  switch (c.type) {
    case EntityType::kParam: {
      const json* kv = FindKv(At(At(model, "data"), "params"), c.key);
      return kv ? std::optional<std::string>((*kv).value("value", "")) : std::nullopt;
    }
    case EntityType::kTag: {
      const json* kv = FindKv(At(info, "tags"), c.key);
      return kv ? std::optional<std::string>((*kv).value("value", "")) : std::nullopt;
    }
    default: {
      auto it = info.find(c.key);
      if (it == info.end() || !it->is_string()) return std::nullopt;
      return it->get<std::string>();
    }
  }
}

bool CompareNumbers(double lhs, Comparator op, double rhs) {
  switch (op) {
    case Comparator::kEq: return lhs == rhs;
    case Comparator::kNe: return lhs != rhs;
    case Comparator::kGt: return lhs > rhs;
    case Comparator::kGe: return lhs >= rhs;
    case Comparator::kLt: return lhs < rhs;
    case Comparator::kLe: return lhs <= rhs;
    default: return false;
  }
}

bool Matches(const json& model, const Clause& c, const std::vector<LoggedModelDataset>& datasets) {
  if (c.type == EntityType::kMetric) {
    auto v = MetricValue(model, c.key, datasets);
    return v && CompareNumbers(*v, c.op, c.number);
  }
  if (c.type == EntityType::kAttribute &&
      (c.key == "creation_timestamp" || c.key == "last_updated_timestamp")) {
    const json& v = At(At(model, "info"), c.key + "_ms");
    if (!v.is_number()) return false;
    return CompareNumbers(static_cast<double>(v.get<std::int64_t>()), c.op, c.number);
  }
  auto lhs = StringField(model, c);
  if (!lhs) return false;
  switch (c.op) {
    case Comparator::kEq: return *lhs == c.text;
    case Comparator::kNe: return *lhs != c.text;
    case Comparator::kLike: return LikeMatch(*lhs, c.text, /*case_insensitive=*/false);
    case Comparator::kILike: return LikeMatch(*lhs, c.text, /*case_insensitive=*/true);
    case Comparator::kIn: return std::find(c.list.begin(), c.list.end(), *lhs) != c.list.end();
    case Comparator::kNotIn: return std::find(c.list.begin(), c.list.end(), *lhs) == c.list.end();
    default: return false;
  }
}

// A sort key: numbers sort as numbers, strings as strings; missing values go last.
struct SortKey {
  bool missing = true;
  bool numeric = false;
  double number = 0;
  std::string text;
};

SortKey KeyOf(const json& model, const OrderBy& ob, const std::vector<LoggedModelDataset>& ds) {
  SortKey k;
  if (ob.type == EntityType::kMetric) {
    auto v = MetricValue(model, ob.key, ds);
    if (v) k = {false, true, *v, ""};
    return k;
  }
  if (ob.type == EntityType::kAttribute &&
      (ob.key == "creation_timestamp" || ob.key == "last_updated_timestamp")) {
    const json& v = At(At(model, "info"), ob.key + "_ms");
    if (v.is_number()) k = {false, true, static_cast<double>(v.get<std::int64_t>()), ""};
    return k;
  }
  Clause c;
  c.type = ob.type;
  c.key = ob.key;
  auto s = StringField(model, c);
  if (s) k = {false, false, 0, *s};
  return k;
}

int CompareKeys(const SortKey& a, const SortKey& b) {
  if (a.missing || b.missing) return a.missing == b.missing ? 0 : (a.missing ? 1 : -1);
  if (a.numeric) return a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
  return a.text.compare(b.text);
}

StatusOr<std::string> NormalizeStatus(const std::string& s) {
  if (s == kReady || s == "2") return std::string(kReady);
  if (s == kFailed || s == "3") return std::string(kFailed);
  if (s == kPending || s == "1") return std::string(kPending);
  return InvalidArgument(
      fmt::format("Invalid value '{}' for parameter 'status': expected LOGGED_MODEL_READY or "
                  "LOGGED_MODEL_UPLOAD_FAILED",
                  s));
}

}  // namespace

StatusOr<json> LoggedModelService::Create(const std::string& ws,
                                          const CreateLoggedModelRequest& req) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(Experiment exp, tracking_.GetExperiment(ws, req.experiment_id));
  if (exp.lifecycle_stage != LifecycleStage::kActive) {
    return InvalidArgument(
        fmt::format("The experiment {} must be in the 'active' state. Current state: deleted.",
                    req.experiment_id));
  }
  std::string name = req.name.empty() ? NewRunName() : req.name;
  RETURN_IF_ERROR(ValidateModelName(name));
  for (const auto& p : req.params) RETURN_IF_ERROR(ValidateParam(p));
  for (const auto& t : req.tags) RETURN_IF_ERROR(ValidateTag(t));
  if (!req.source_run_id.empty()) {
    RETURN_IF_ERROR(tracking_.GetRun(ws, req.source_run_id).status());
  }
  std::string id = "m-" + NewRunId();
  std::int64_t now = NowMillis();
  json info = {{"model_id", id},
               {"experiment_id", req.experiment_id},
               {"name", name},
               {"creation_timestamp_ms", now},
               {"last_updated_timestamp_ms", now},
               {"artifact_uri", exp.artifact_location + "/models/" + id + "/artifacts"},
               {"status", kPending},
               {"tags", KvArray(req.tags)}};
  if (!req.model_type.empty()) info["model_type"] = req.model_type;
  if (!req.source_run_id.empty()) info["source_run_id"] = req.source_run_id;
  json doc = {{"info", std::move(info)},
              {"data", {{"params", json::array()}, {"metrics", json::array()}}}};
  for (const auto& p : req.params) UpsertKv(doc["data"]["params"], p);
  store::LoggedModelRecord r{id, req.experiment_id, false, now, doc.dump()};
  RETURN_IF_ERROR(store_.logged_models().CreateLoggedModel(wid, r));
  return doc;
}

StatusOr<json> LoggedModelService::Get(const std::string& ws, const std::string& model_id,
                                       bool allow_deleted) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto r, store_.logged_models().GetLoggedModel(wid, model_id, allow_deleted));
  return ParseDoc(r);
}

StatusOr<store::LoggedModelRecord> LoggedModelService::Mutate(
    const std::string& ws, const std::string& model_id,
    const std::function<Status(json& model)>& fn) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.logged_models().UpdateLoggedModel(
      wid, model_id, [&](store::LoggedModelRecord& r) -> Status {
        ASSIGN_OR_RETURN(json doc, ParseDoc(r));
        RETURN_IF_ERROR(fn(doc));
        doc["info"]["last_updated_timestamp_ms"] = NowMillis();
        r.doc = doc.dump();
        return Status::Ok();
      });
}

StatusOr<json> LoggedModelService::Finalize(const std::string& ws, const std::string& model_id,
                                            const std::string& status) {
  ASSIGN_OR_RETURN(std::string st, NormalizeStatus(status));
  if (st == kPending) {
    return InvalidArgument(
        "A logged model can only be finalized as LOGGED_MODEL_READY or "
        "LOGGED_MODEL_UPLOAD_FAILED");
  }
  ASSIGN_OR_RETURN(auto r, Mutate(ws, model_id, [&](json& m) -> Status {
                     m["info"]["status"] = st;
                     return Status::Ok();
                   }));
  return ParseDoc(r);
}

Status LoggedModelService::Delete(const std::string& ws, const std::string& model_id) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.logged_models()
      .UpdateLoggedModel(wid, model_id,
                         [](store::LoggedModelRecord& r) -> Status {
                           r.deleted = true;
                           return Status::Ok();
                         })
      .status();
}

Status LoggedModelService::SetTags(const std::string& ws, const std::string& model_id,
                                   const std::vector<KeyValue>& tags) {
  for (const auto& t : tags) RETURN_IF_ERROR(ValidateTag(t));
  return Mutate(ws, model_id,
                [&](json& m) -> Status {
                  json& arr = m["info"]["tags"];
                  if (!arr.is_array()) arr = json::array();
                  for (const auto& t : tags) UpsertKv(arr, t);
                  return Status::Ok();
                })
      .status();
}

Status LoggedModelService::DeleteTag(const std::string& ws, const std::string& model_id,
                                     const std::string& key) {
  return Mutate(ws, model_id,
                [&](json& m) -> Status {
                  json& arr = m["info"]["tags"];
                  if (arr.is_array()) {
                    for (auto it = arr.begin(); it != arr.end(); ++it) {
                      if (it->value("key", "") == key) {
                        arr.erase(it);
                        return Status::Ok();
                      }
                    }
                  }
                  return NotFound(
                      fmt::format("No tag with key '{}' found for model '{}'.", key, model_id));
                })
      .status();
}

Status LoggedModelService::LogParams(const std::string& ws, const std::string& model_id,
                                     const std::vector<KeyValue>& params) {
  for (const auto& p : params) RETURN_IF_ERROR(ValidateParam(p));
  return Mutate(ws, model_id,
                [&](json& m) -> Status {
                  json& arr = m["data"]["params"];
                  if (!arr.is_array()) arr = json::array();
                  for (const auto& p : params) UpsertKv(arr, p);
                  return Status::Ok();
                })
      .status();
}

StatusOr<json> LoggedModelService::Search(const std::string& ws,
                                          const SearchLoggedModelsRequest& req) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  if (req.max_results <= 0 || req.max_results > kMaxSearchLoggedModelsResults) {
    return InvalidArgument(
        fmt::format("Invalid value {} for parameter 'max_results' supplied. It must be at most {}",
                    req.max_results, kMaxSearchLoggedModelsResults));
  }
  ASSIGN_OR_RETURN(std::vector<Clause> clauses, ParseLoggedModelFilter(req.filter));
  std::vector<OrderBy> order;
  std::vector<std::vector<LoggedModelDataset>> order_ds;
  for (const auto& o : req.order_by) {
    ASSIGN_OR_RETURN(OrderBy ob, ParseLoggedModelOrderBy(o.field_name));
    ob.ascending = o.ascending;
    if (o.dataset_name && ob.type != EntityType::kMetric) {
      return InvalidArgument("order_by dataset_name is only allowed for metrics");
    }
    std::vector<LoggedModelDataset> ds;
    if (o.dataset_name) ds.push_back({*o.dataset_name, o.dataset_digest});
    order.push_back(std::move(ob));
    order_ds.push_back(std::move(ds));
  }
  for (const auto& d : req.datasets) {
    if (d.name.empty()) return InvalidArgument("datasets.dataset_name is required");
  }
  std::int64_t offset = 0;
  if (!req.page_token.empty()) {
    ASSIGN_OR_RETURN(offset, DecodePageToken(req.page_token));
  }
  ASSIGN_OR_RETURN(auto records, store_.logged_models().ListLoggedModels(wid, req.experiment_ids));
  // No filter, no datasets, order by creation time only (or MLflow's default, newest first): the
  // store's creation_ms decides, and only the page's documents are parsed (same order as below:
  // creation time, then model id).
  if (clauses.empty() && req.datasets.empty() &&
      std::all_of(order.begin(), order.end(), [](const OrderBy& o) {
        return o.type == EntityType::kAttribute && o.key == "creation_timestamp";
      })) {
    bool ascending = !order.empty() && order.front().ascending;
    std::vector<const store::LoggedModelRecord*> rows;
    for (const auto& r : records) rows.push_back(&r);
    return PageByStoredKey(
        std::move(rows), ascending, [](const auto& r) { return r.creation_ms; },
        [](const auto& r) -> const std::string& { return r.model_id; }, offset, req.max_results,
        "models", [](const store::LoggedModelRecord& r) { return ParseDoc(r); });
  }

  bool has_metric_clause = std::any_of(clauses.begin(), clauses.end(), [](const Clause& c) {
    return c.type == EntityType::kMetric;
  });
  std::vector<json> models;
  for (const auto& r : records) {
    ASSIGN_OR_RETURN(json m, ParseDoc(r));
    bool keep = std::all_of(clauses.begin(), clauses.end(),
                            [&](const Clause& c) { return Matches(m, c, req.datasets); });
    // Datasets without a metric clause: keep models with any metric on those datasets (MLflow).
    if (keep && !req.datasets.empty() && !has_metric_clause) {
      const json& metrics = At(At(m, "data"), "metrics");
      keep = metrics.is_array() && std::any_of(metrics.begin(), metrics.end(), [&](const json& mt) {
               return MetricOnDatasets(mt, req.datasets);
             });
    }
    if (keep) models.push_back(std::move(m));
  }
  std::stable_sort(models.begin(), models.end(), [&](const json& a, const json& b) {
    for (size_t i = 0; i < order.size(); ++i) {
      SortKey ka = KeyOf(a, order[i], order_ds[i]);
      SortKey kb = KeyOf(b, order[i], order_ds[i]);
      int c = CompareKeys(ka, kb);
      if (c != 0) return (ka.missing || kb.missing) ? c < 0 : (order[i].ascending ? c < 0 : c > 0);
    }
    // MLflow's default: newest first, then by id.
    const json& ia = At(a, "info");
    const json& ib = At(b, "info");
    auto ta = ia.value("creation_timestamp_ms", std::int64_t{0});
    auto tb = ib.value("creation_timestamp_ms", std::int64_t{0});
    if (ta != tb) return ta > tb;
    return ia.value("model_id", "") < ib.value("model_id", "");
  });
  json out = json::object();
  json page = json::array();
  auto begin = std::min<std::int64_t>(offset, static_cast<std::int64_t>(models.size()));
  auto end =
      std::min<std::int64_t>(begin + req.max_results, static_cast<std::int64_t>(models.size()));
  for (auto i = begin; i < end; ++i) page.push_back(std::move(models[i]));
  out["models"] = std::move(page);
  if (end < static_cast<std::int64_t>(models.size())) out["next_page_token"] = EncodePageToken(end);
  return out;
}

Status LoggedModelService::CheckModels(const std::string& ws,
                                       const std::vector<std::string>& model_ids) {
  if (model_ids.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  for (const auto& id : model_ids) {
    RETURN_IF_ERROR(store_.logged_models().GetLoggedModel(wid, id, false).status());
  }
  return Status::Ok();
}

Status LoggedModelService::LinkMetrics(const std::string& ws,
                                       const std::vector<ModelMetric>& metrics) {
  std::vector<std::string> ids;
  for (const auto& m : metrics) {
    if (std::find(ids.begin(), ids.end(), m.model_id) == ids.end()) ids.push_back(m.model_id);
  }
  for (const auto& id : ids) {
    RETURN_IF_ERROR(Mutate(ws, id, [&](json& model) -> Status {
                      json& arr = model["data"]["metrics"];
                      if (!arr.is_array()) arr = json::array();
                      for (const auto& mm : metrics) {
                        if (mm.model_id != id) continue;
                        json v = std::isnan(mm.metric.value) ? json("NaN")
                                 : std::isinf(mm.metric.value)
                                     ? json(mm.metric.value > 0 ? "Infinity" : "-Infinity")
                                     : json(mm.metric.value);
                        json point = {{"key", mm.metric.key},
                                      {"value", v},
                                      {"timestamp", mm.metric.timestamp},
                                      {"step", mm.metric.step},
                                      {"model_id", id}};
                        if (!mm.run_id.empty()) point["run_id"] = mm.run_id;
                        if (!mm.dataset_name.empty()) point["dataset_name"] = mm.dataset_name;
                        if (!mm.dataset_digest.empty()) point["dataset_digest"] = mm.dataset_digest;
                        // One value per (key, step, dataset, run): a re-log replaces it.
                        bool replaced = false;
                        for (auto& e : arr) {
                          if (e.value("key", "") == mm.metric.key &&
                              e.value("step", std::int64_t{0}) == mm.metric.step &&
                              e.value("dataset_name", "") == mm.dataset_name &&
                              e.value("dataset_digest", "") == mm.dataset_digest &&
                              e.value("run_id", "") == mm.run_id) {
                            e = point;
                            replaced = true;
                            break;
                          }
                        }
                        if (!replaced) arr.push_back(std::move(point));
                      }
                      return Status::Ok();
                    }).status());
  }
  return Status::Ok();
}

Status LoggedModelService::LinkRun(const std::string& ws, const std::string& run_id,
                                   const std::vector<store::RunModelLink>& links) {
  if (links.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  for (const auto& l : links) {
    if (l.model_id.empty()) return InvalidArgument("Each model needs a model_id");
  }
  return store_.logged_models().LinkRunModels(wid, run_id, links);
}

StatusOr<json> LoggedModelService::RunModelIo(const std::string& ws, const std::string& run_id) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto links, store_.logged_models().RunModelLinks(wid, run_id));
  json out = json::object();
  for (const auto& l : links) {
    if (l.output) {
      out["outputs"]["model_outputs"].push_back({{"model_id", l.model_id}, {"step", l.step}});
    } else {
      out["inputs"]["model_inputs"].push_back({{"model_id", l.model_id}});
    }
  }
  return out;
}

}  // namespace mlws::tracking
