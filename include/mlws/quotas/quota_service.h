// QuotaService: workspace quotas (quota_spec.h) — stored per workspace, enforced through the
// job scheduler's AdmissionGate — and cost over time (cost_series.h). docs/quotas.md.
//
// Thread-safe. Quotas are read from the store at most every few seconds per workspace (so
// several servers on one database agree within that time) and cached; the month's spending of a
// workspace with a budget is recomputed from its jobs at most once a second.
// Errors: NotFound (workspace), InvalidArgument (spec, query), QuotaExceeded (a refused job).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "mlws/jobs/job_service.h"
#include "mlws/quotas/admission.h"
#include "mlws/quotas/cost_series.h"
#include "mlws/quotas/quota_spec.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::quotas {

struct ComputeQuotaState {
  std::string compute;
  int max_nodes = 0;
  int nodes_in_use = 0;
};

// What `mlws quota show` shows: the quota and how much of it is used now.
struct QuotaReport {
  std::string workspace;
  Quota quota;
  std::vector<ComputeQuotaState> computes;
  std::string month;  // "2026-12" (UTC)
  double spent_cost = 0;
  double spent_node_hours = 0;
};

class QuotaService final : public AdmissionGate {
 public:
  QuotaService(store::MetadataStore& store, tracking::TrackingService& tracking,
               jobs::JobService& jobs);

  StatusOr<QuotaReport> Get(const std::string& ws);
  // Replaces the workspace's quota with `spec` (an empty object removes every limit).
  StatusOr<QuotaReport> Set(const std::string& ws, const nlohmann::json& spec,
                            const std::string& who);
  // Cost over time of one workspace's jobs.
  StatusOr<CostSeries> Series(const std::string& ws, const CostQuery& q);
  // Cost over time of every workspace's jobs (by=workspace shows them side by side).
  StatusOr<CostSeries> ServerSeries(const CostQuery& q);

  // AdmissionGate
  Status AdmitSubmit(std::int64_t ws_id, const std::string& compute, int nodes,
                     int nodes_taken) override;
  std::string StartBlocker(std::int64_t ws_id, const std::string& compute, int nodes,
                           int nodes_busy) override;

 private:
  struct Entry {
    Quota quota;
    std::int64_t loaded_at = 0;  // ms; 0 = never
    std::int64_t usage_at = 0;   // ms of the last spending computation
    double month_node_seconds = 0;
    double month_cost = 0;
  };
  Entry& Fresh(std::int64_t ws_id, std::int64_t now);                 // REQUIRES(mu_)
  void RefreshUsage(std::int64_t ws_id, Entry& e, std::int64_t now);  // REQUIRES(mu_)
  std::string BudgetBlocker(const Entry& e, std::int64_t now) const;
  // The report of `quota` with the workspace's spending and nodes in use now.
  StatusOr<QuotaReport> Report(const std::string& ws, Quota quota);

  store::MetadataStore& store_;
  tracking::TrackingService& tracking_;
  jobs::JobService& jobs_;
  std::mutex mu_;
  std::map<std::int64_t, Entry> entries_;  // GUARDED_BY(mu_)
};

}  // namespace mlws::quotas
