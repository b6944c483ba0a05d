// Metric observers: code that must react to metrics as they are logged (the sweep controller's
// early termination) registers here for one TrackingService. An observer is called after each
// LogBatch of that service that committed metrics, on the logging thread, before the request
// returns; it must be quick and must not log metrics itself.
//
// A registry beside the service rather than a member, so TrackingService's layout (included by
// every handler) stays as it is. Thread-safe; Remove returns once no call of that observer is
// in flight.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "mlws/tracking/entities.h"

namespace mlws::tracking {

class TrackingService;

using MetricObserver = std::function<void(const std::string& ws, const std::string& run_id,
                                          const std::vector<Metric>& metrics)>;

int AddMetricObserver(const TrackingService& tracking, MetricObserver observer);
void RemoveMetricObserver(int id);

// Called by TrackingService::LogBatch.
void NotifyMetricObservers(const TrackingService& tracking, const std::string& ws,
                           const std::string& run_id, const std::vector<Metric>& metrics);

}  // namespace mlws::tracking
