// MLflow 3 GenAI evaluation datasets: the document, upsert by inputs, pages of records.
#include "mlws/tracking/eval_dataset_service.h"

#include <fmt/format.h>

#include <algorithm>

#include "mlws/common/ids.h"
#include "mlws/common/sha256.h"
#include "mlws/tracking/search_filter.h"
#include "tracking/like_match.h"

namespace mlws::tracking {

using nlohmann::json;

namespace {

StatusOr<json> ParseDoc(const store::DocumentRecord& r) {
  json doc = json::parse(r.doc, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Internal("stored dataset is not valid JSON");
  return doc;
}

std::string TypeName(const json& v) {
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "float";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "null";
}

// Schema, profile and digest follow the records (as MLflow recomputes them on every upsert).
void Refresh(json& doc) {
  json schema = {{"inputs", json::object()},
                 {"outputs", json::object()},
                 {"expectations", json::object()},
                 {"version", "1.0"}};
  for (const auto& r : doc["records"]) {
    for (const char* part : {"inputs", "outputs", "expectations"}) {
      if (!r.contains(part) || !r[part].is_object()) continue;
      for (auto& [k, v] : r[part].items()) schema[part][k] = TypeName(v);
    }
  }
  json& d = doc["dataset"];
  d["schema"] = schema.dump();
  d["profile"] = json{{"num_records", doc["records"].size()}}.dump();
  d["digest"] = Sha256Hex(doc["records"].dump()).substr(0, 8);
  d["last_update_time"] = NowMillis();
}

// The Dataset as get/search render it (no experiment ids: the client asks for them apart).
json Public(const json& doc) { return doc["dataset"]; }

}  // namespace

StatusOr<json> EvalDatasetService::Create(const std::string& ws, const std::string& name,
                                          const std::vector<std::string>& experiment_ids,
                                          const std::string& tags, const std::string& created_by) {
  if (name.empty()) return InvalidArgument("Missing value for required parameter 'name'.");
  if (name.size() > 255) return InvalidArgument("Dataset name must be at most 255 characters");
  if (!tags.empty()) {
    json t = json::parse(tags, nullptr, false);
    if (t.is_discarded() || !t.is_object()) {
      return InvalidArgument("Dataset tags must be a JSON object string");
    }
  }
  for (const auto& e : experiment_ids) RETURN_IF_ERROR(tracking_.GetExperiment(ws, e).status());
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  std::int64_t now = NowMillis();
  json dataset = {{"dataset_id", "d-" + NewRunId()},
                  {"name", name},
                  {"created_time", now},
                  {"last_update_time", now}};
  if (!tags.empty()) dataset["tags"] = tags;
  if (!created_by.empty()) {
    dataset["created_by"] = created_by;
    dataset["last_updated_by"] = created_by;
  }
  json doc = {{"dataset", dataset}, {"experiment_ids", experiment_ids}, {"records", json::array()}};
  doc["dataset"]["digest"] = Sha256Hex("[]").substr(0, 8);
  RETURN_IF_ERROR(store_.eval_datasets().Put(wid, {dataset["dataset_id"], now, doc.dump()}));
  json out = doc["dataset"];
  out["experiment_ids"] = experiment_ids;
  return out;
}

StatusOr<json> EvalDatasetService::Get(const std::string& ws, const std::string& id) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto r, store_.eval_datasets().Get(wid, id));
  ASSIGN_OR_RETURN(json doc, ParseDoc(r));
  return Public(doc);
}

Status EvalDatasetService::Delete(const std::string& ws, const std::string& id) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  return store_.eval_datasets().Delete(wid, id);
}

StatusOr<json> EvalDatasetService::Search(const std::string& ws,
                                          const std::vector<std::string>& exp_ids,
                                          const std::string& filter,
                                          const std::vector<std::string>& order_by,
                                          std::int64_t max_results, const std::string& page_token) {
  if (max_results <= 0 || max_results > 1000) {
    return InvalidArgument("max_results must be between 1 and 1000");
  }
  ASSIGN_OR_RETURN(std::vector<Clause> clauses, ParseEvalDatasetFilter(filter));
  std::vector<OrderBy> order;
  for (const auto& o : order_by) {
    ASSIGN_OR_RETURN(OrderBy ob, ParseEvalDatasetOrderBy(o));
    order.push_back(std::move(ob));
  }
  std::int64_t offset = 0;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(offset, DecodePageToken(page_token));
  }
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto all, store_.eval_datasets().List(wid));
  std::vector<json> hits;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {  // newest first
    ASSIGN_OR_RETURN(json doc, ParseDoc(*it));
    if (!exp_ids.empty()) {
      const json& mine = doc["experiment_ids"];
      bool any = std::any_of(exp_ids.begin(), exp_ids.end(), [&](const std::string& e) {
        return std::find(mine.begin(), mine.end(), e) != mine.end();
      });
      if (!any) continue;
    }
    const json& d = doc["dataset"];
    json tags = json::parse(d.value("tags", "{}"), nullptr, false);
    bool keep = std::all_of(clauses.begin(), clauses.end(), [&](const Clause& c) {
      if (c.type == EntityType::kAttribute &&
          (c.key == "created_time" || c.key == "last_update_time")) {
        double v = static_cast<double>(d.value(c.key, std::int64_t{0}));
        switch (c.op) {
          case Comparator::kEq: return v == c.number;
          case Comparator::kNe: return v != c.number;
          case Comparator::kGt: return v > c.number;
          case Comparator::kGe: return v >= c.number;
          case Comparator::kLt: return v < c.number;
          case Comparator::kLe: return v <= c.number;
          default: return false;
        }
      }
      std::string lhs;
      if (c.type == EntityType::kTag) {
        if (!tags.is_object() || !tags.contains(c.key) || !tags[c.key].is_string()) return false;
        lhs = tags[c.key].get<std::string>();
      } else {
        lhs = d.value(c.key, "");
      }
      switch (c.op) {
        case Comparator::kEq: return lhs == c.text;
        case Comparator::kNe: return lhs != c.text;
        case Comparator::kLike: return LikeMatch(lhs, c.text, false);
        case Comparator::kILike: return LikeMatch(lhs, c.text, true);
        default: return false;
      }
    });
    if (keep) hits.push_back(Public(doc));
  }
  std::stable_sort(hits.begin(), hits.end(), [&](const json& a, const json& b) {
    for (const auto& ob : order) {
      int c = 0;
      if (ob.key == "name" || ob.key == "created_by" || ob.key == "last_updated_by") {
        c = a.value(ob.key, "").compare(b.value(ob.key, ""));
      } else {
        auto va = a.value(ob.key, std::int64_t{0}), vb = b.value(ob.key, std::int64_t{0});
        c = va < vb ? -1 : (va > vb ? 1 : 0);
      }
      if (c != 0) return ob.ascending ? c < 0 : c > 0;
    }
    return false;  // default: newest first (the order they were collected in)
  });
  json out = json::object();
  json page = json::array();
  auto total = static_cast<std::int64_t>(hits.size());
  auto begin = std::min(offset, total);
  auto end = std::min(begin + max_results, total);
  for (auto i = begin; i < end; ++i) page.push_back(std::move(hits[i]));
  out["datasets"] = std::move(page);
  if (end < total) out["next_page_token"] = EncodePageToken(end);
  return out;
}

StatusOr<json> EvalDatasetService::Upsert(const std::string& ws, const std::string& id,
                                          const std::string& records) {
  json in = json::parse(records, nullptr, false);
  if (in.is_discarded() || !in.is_array()) {
    return InvalidArgument("'records' must be a JSON array string");
  }
  for (const auto& r : in) {
    if (!r.is_object() || !r.contains("inputs") || !r["inputs"].is_object()) {
      return InvalidArgument("Each record needs an 'inputs' object");
    }
  }
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  std::int64_t inserted = 0, updated = 0, now = NowMillis();
  // One read-merge-write step in the store: two merges at the same moment both land.
  auto merge = [&](const store::DocumentRecord& rec) -> StatusOr<std::string> {
    inserted = updated = 0;
    ASSIGN_OR_RETURN(json doc, ParseDoc(rec));
    json& have = doc["records"];
    for (const auto& r : in) {
      auto it = std::find_if(have.begin(), have.end(),
                             [&](const json& h) { return h["inputs"] == r["inputs"]; });
      if (it != have.end()) {
        for (const char* part : {"expectations", "outputs", "tags"}) {
          if (!r.contains(part) || !r[part].is_object()) continue;
          for (auto& [k, v] : r[part].items()) (*it)[part][k] = v;
        }
        (*it)["last_update_time"] = now;
        ++updated;
        continue;
      }
      json n = {{"dataset_record_id", "dr-" + NewRunId()},
                {"dataset_id", id},
                {"inputs", r["inputs"]},
                {"expectations", r.value("expectations", json::object())},
                {"tags", r.value("tags", json::object())},
                {"outputs", r.value("outputs", json::object())},
                {"created_time", now},
                {"last_update_time", now}};
      if (r.contains("source")) n["source"] = r["source"];
      have.push_back(std::move(n));
      ++inserted;
    }
    if (have.size() > kMaxEvalDatasetRecords) {
      return Status(
          ErrorCode::kPayloadTooLarge,
          fmt::format("An evaluation dataset holds at most {} records", kMaxEvalDatasetRecords));
    }
    Refresh(doc);
    std::string text = doc.dump();
    if (text.size() > kMaxEvalDatasetBytes) {
      return Status(ErrorCode::kPayloadTooLarge, "An evaluation dataset is at most 16 MiB");
    }
    return text;
  };
  RETURN_IF_ERROR(store_.eval_datasets().Update(wid, id, merge));
  return json{{"inserted_count", inserted}, {"updated_count", updated}};
}

StatusOr<json> EvalDatasetService::Records(const std::string& ws, const std::string& id,
                                           std::int64_t max_results,
                                           const std::string& page_token) {
  if (max_results <= 0 || max_results > 10000) {
    return InvalidArgument("max_results must be between 1 and 10000");
  }
  std::int64_t offset = 0;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(offset, DecodePageToken(page_token));
  }
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto rec, store_.eval_datasets().Get(wid, id));
  ASSIGN_OR_RETURN(json doc, ParseDoc(rec));
  const json& all = doc["records"];
  auto total = static_cast<std::int64_t>(all.size());
  auto begin = std::min(offset, total);
  auto end = std::min(begin + max_results, total);
  json page = json::array();
  for (auto i = begin; i < end; ++i) page.push_back(all[i]);
  json out = {{"records", page.dump()}};
  if (end < total) out["next_page_token"] = EncodePageToken(end);
  return out;
}

StatusOr<std::vector<std::string>> EvalDatasetService::ExperimentIds(const std::string& ws,
                                                                     const std::string& id) {
  ASSIGN_OR_RETURN(std::int64_t wid, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto rec, store_.eval_datasets().Get(wid, id));
  ASSIGN_OR_RETURN(json doc, ParseDoc(rec));
  return doc["experiment_ids"].get<std::vector<std::string>>();
}

}  // namespace mlws::tracking
