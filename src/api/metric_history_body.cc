#include "api/metric_history_body.h"

#include <algorithm>
#include <cstring>

#include "api/mlflow_json.h"

namespace mlws::api {

MetricHistoryBody::MetricHistoryBody(std::unique_ptr<store::MetricHistoryCursor> cursor,
                                     const std::string& key,
                                     std::vector<tracking::MetricPoint> first)
    : cursor_(std::move(cursor)), quoted_key_(QuoteJson(key)), batch_(std::move(first)) {}

Status MetricHistoryBody::RenderMore() {
  text_.erase(0, pos_);
  pos_ = 0;
  if (!started_) {
    text_ += "{\"metrics\":[";
  } else {
    batch_.clear();
    RETURN_IF_ERROR(cursor_->Next(batch_, kBatch));
    if (batch_.empty()) {
      text_ += "]}";
      ended_ = true;
      return Status::Ok();
    }
  }
  for (const auto& m : batch_) {
    if (started_) text_ += ',';
    started_ = true;
    AppendMetricJson(text_, m, quoted_key_, nullptr);
  }
  return Status::Ok();
}

StatusOr<std::size_t> MetricHistoryBody::Read(char* buf, std::size_t cap) {
  while (text_.size() - pos_ < cap && !ended_) RETURN_IF_ERROR(RenderMore());
  std::size_t n = std::min(cap, text_.size() - pos_);
  std::memcpy(buf, text_.data() + pos_, n);
  pos_ += n;
  return n;
}

}  // namespace mlws::api
