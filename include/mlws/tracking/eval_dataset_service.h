// EvalDatasetService: MLflow 3 GenAI evaluation datasets (service layer).
//
// A dataset is one document: its Dataset wire form (dataset_id "d-...", name, tags as a JSON
// string, schema and profile as JSON strings, digest, times), the experiments it belongs to and
// its records. Records are upserted by their inputs: a record whose inputs equal an existing
// one's merges into it (expectations, outputs and tags are updated key by key).
//
// Thread-safe. Errors: unknown dataset/experiment -> NotFound (404); bad names, records or
// filters -> InvalidArgument (400); more than kMaxEvalDatasetRecords records or a document over
// kMaxEvalDatasetBytes -> PayloadTooLarge (413). Writes read and replace the whole document.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::tracking {

inline constexpr size_t kMaxEvalDatasetRecords = 10000;
inline constexpr size_t kMaxEvalDatasetBytes = 16 << 20;

class EvalDatasetService {
 public:
  EvalDatasetService(store::MetadataStore& store, TrackingService& tracking)
      : store_(store), tracking_(tracking) {}

  // tags: the JSON-object string the client sends (may be empty).
  StatusOr<nlohmann::json> Create(const std::string& ws, const std::string& name,
                                  const std::vector<std::string>& experiment_ids,
                                  const std::string& tags, const std::string& created_by);
  StatusOr<nlohmann::json> Get(const std::string& ws, const std::string& id);
  Status Delete(const std::string& ws, const std::string& id);
  // {"datasets": [...], "next_page_token": ...}; see ParseEvalDatasetFilter. Newest first
  // unless order_by says otherwise.
  StatusOr<nlohmann::json> Search(const std::string& ws, const std::vector<std::string>& exp_ids,
                                  const std::string& filter,
                                  const std::vector<std::string>& order_by,
                                  std::int64_t max_results, const std::string& page_token);
  // records: the JSON-array string the client sends. {"inserted_count", "updated_count"}.
  StatusOr<nlohmann::json> Upsert(const std::string& ws, const std::string& id,
                                  const std::string& records);
  // {"records": "<JSON array string>", "next_page_token": ...}
  StatusOr<nlohmann::json> Records(const std::string& ws, const std::string& id,
                                   std::int64_t max_results, const std::string& page_token);
  StatusOr<std::vector<std::string>> ExperimentIds(const std::string& ws, const std::string& id);

 private:
  store::MetadataStore& store_;
  TrackingService& tracking_;
};

}  // namespace mlws::tracking
