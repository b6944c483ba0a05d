// The body of a whole metric history (`metrics/get-history` without paging), rendered as
// MLflow's JSON a batch of points at a time while the server sends it, so memory stays bounded
// (one batch of points and its JSON) whatever the history's length.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mlws/http/body_source.h"
#include "mlws/store/run_store.h"

namespace mlws::api {

class MetricHistoryBody final : public http::BodySource {
 public:
  // `first` is the cursor's first batch, already read (and not empty).
  MetricHistoryBody(std::unique_ptr<store::MetricHistoryCursor> cursor, const std::string& key,
                    std::vector<tracking::MetricPoint> first);
  StatusOr<std::size_t> Read(char* buf, std::size_t cap) override;

  static constexpr std::size_t kBatch = 4096;  // points per cursor read

 private:
  std::unique_ptr<store::MetricHistoryCursor> cursor_;
  const std::string prefix_;     // MetricJsonPrefix of the key
  const std::size_t max_point_;  // the most bytes one point (and its comma) renders to
  std::vector<tracking::MetricPoint> batch_;
  std::size_t next_ = 0;  // batch_[next_] is the next point to render
  std::string text_;      // rendered, not yet handed out from pos_
  std::size_t pos_ = 0;
  bool started_ = false;
  bool rendered_any_ = false;
  bool ended_ = false;
};

}  // namespace mlws::api
