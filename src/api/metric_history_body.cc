#include "api/metric_history_body.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "api/mlflow_json.h"

namespace mlws::api {

namespace {
constexpr std::string_view kOpen = "{\"metrics\":[";
constexpr std::string_view kClose = "]}";
}  // namespace

MetricHistoryBody::MetricHistoryBody(std::unique_ptr<store::MetricHistoryCursor> cursor,
                                     const std::string& key,
                                     std::vector<tracking::MetricPoint> first)
    : cursor_(std::move(cursor)),
      prefix_(MetricJsonPrefix(QuoteJson(key))),
      max_point_(MetricJsonMaxSize(prefix_, nullptr) + 1),
      batch_(std::move(first)) {}

// Renders points straight into the server's buffer while a whole point is sure to fit; only
// what does not fit goes through text_ (the opening, the closing, a point at a piece's edge).
StatusOr<std::size_t> MetricHistoryBody::Read(char* buf, std::size_t cap) {
  char* p = buf;
  char* const end = buf + cap;
  for (;;) {
    if (pos_ < text_.size()) {  // left over from the last call
      std::size_t n = std::min<std::size_t>(end - p, text_.size() - pos_);
      std::memcpy(p, text_.data() + pos_, n);
      p += n;
      pos_ += n;
      if (pos_ < text_.size()) break;  // buf is full
      text_.clear();
      pos_ = 0;
    }
    if (ended_ || p == end) break;
    if (!started_) {
      text_.assign(kOpen);
      started_ = true;
      continue;
    }
    if (next_ == batch_.size()) {
      batch_.clear();
      next_ = 0;
      RETURN_IF_ERROR(cursor_->Next(batch_, kBatch));
      if (batch_.empty()) {
        text_.assign(kClose);
        ended_ = true;
        continue;
      }
    }
    while (next_ < batch_.size() && static_cast<std::size_t>(end - p) >= max_point_) {
      if (rendered_any_) *p++ = ',';
      rendered_any_ = true;
      p = WriteMetricJson(p, batch_[next_++], prefix_, nullptr);
    }
    if (next_ < batch_.size() && static_cast<std::size_t>(end - p) < max_point_) {
      // The next point may not fit: render it aside and hand out what fits.
      text_.resize(max_point_);
      char* t = text_.data();
      if (rendered_any_) *t++ = ',';
      rendered_any_ = true;
      t = WriteMetricJson(t, batch_[next_++], prefix_, nullptr);
      text_.resize(static_cast<std::size_t>(t - text_.data()));
    }
  }
  return static_cast<std::size_t>(p - buf);
}

}  // namespace mlws::api
