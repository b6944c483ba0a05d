// The metric observer registry (metric_observer.h).
#include "mlws/tracking/metric_observer.h"

#include <map>
#include <mutex>
#include <shared_mutex>

namespace mlws::tracking {

namespace {

struct Registry {
  std::shared_mutex mu;
  // guarded by mu: id -> (the service observed, the observer)
  std::map<int, std::pair<const TrackingService*, MetricObserver>> observers;
  int next = 1;  // guarded by mu
};

Registry& Observers() {
  static Registry* r = new Registry();  // never destroyed: observers may outlive main's statics
  return *r;
}

}  // namespace

int AddMetricObserver(const TrackingService& tracking, MetricObserver observer) {
  Registry& r = Observers();
  std::unique_lock<std::shared_mutex> lock(r.mu);
  int id = r.next++;
  r.observers[id] = {&tracking, std::move(observer)};
  return id;
}

void RemoveMetricObserver(int id) {
  Registry& r = Observers();
  std::unique_lock<std::shared_mutex> lock(r.mu);
  r.observers.erase(id);
}

void NotifyMetricObservers(const TrackingService& tracking, const std::string& ws,
                           const std::string& run_id, const std::vector<Metric>& metrics) {
  Registry& r = Observers();
  std::shared_lock<std::shared_mutex> lock(r.mu);
  for (const auto& [id, o] : r.observers) {
    if (o.first == &tracking) o.second(ws, run_id, metrics);
  }
}

}  // namespace mlws::tracking
