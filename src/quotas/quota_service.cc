// QuotaService (quota_service.h): quotas stored as one document per workspace, the admission
// checks the job scheduler asks, and cost over time.
#include "mlws/quotas/quota_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

#include "mlws/common/json.h"

namespace mlws::quotas {

using nlohmann::json;

namespace {

constexpr const char* kDocId = "quota";
constexpr std::int64_t kQuotaTtlMs = 3000;  // how stale a cached quota may be
constexpr std::int64_t kUsageTtlMs = 1000;  // how stale a month's spending may be

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string MonthLabel(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}-{:02d}", tm.tm_year + 1900, tm.tm_mon + 1);
}

std::string DayLabel(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

StatusOr<Quota> FromDocument(const store::DocumentRecord& d) {
  json doc = json::parse(d.doc, nullptr, false);
  if (!doc.is_object()) return Internal("a stored quota does not parse");
  ASSIGN_OR_RETURN(Quota q, ParseQuota(doc.value("spec", json::object())));
  q.updated_by = doc.value("updated_by", "");
  q.updated_at = doc.value("updated_at", std::int64_t{0});
  return q;
}

// The month's node-seconds and cost of `jobs` (a job running across the month's start counts
// from the start of the month).
void MonthUsage(const std::vector<jobs::Job>& list, std::int64_t now, double& ns, double& cost) {
  std::int64_t month = MonthStartMs(now);
  ns = cost = 0;
  for (const auto& j : list) {
    if (j.started_at <= 0) continue;
    std::int64_t start = std::max(j.started_at, month);
    std::int64_t end = j.ended_at != 0 ? j.ended_at : now;
    if (end <= start) continue;
    double s = static_cast<double>(end - start) / 1000.0 * j.instance_count;
    ns += s;
    cost += s / 3600.0 * j.price_per_node_hour;
  }
}

}  // namespace

QuotaService::QuotaService(store::MetadataStore& store, tracking::TrackingService& tracking,
                           jobs::JobService& jobs)
    : store_(store), tracking_(tracking), jobs_(jobs) {}

QuotaService::Entry& QuotaService::Fresh(std::int64_t ws_id, std::int64_t now) {
  Entry& e = entries_[ws_id];
  if (e.loaded_at != 0 && now - e.loaded_at < kQuotaTtlMs) return e;
  e.loaded_at = now;
  auto d = store_.quotas().Get(ws_id, kDocId);
  if (!d.ok()) {
    if (d.status().code() != ErrorCode::kResourceDoesNotExist) {
      spdlog::warn("cannot read the quota of workspace {}: {}", ws_id, d.status().ToString());
      return e;  // keep the last known quota
    }
    e.quota = Quota{};
    return e;
  }
  auto q = FromDocument(*d);
  if (!q.ok()) {
    spdlog::warn("workspace {}: stored quota ignored: {}", ws_id, q.status().ToString());
    return e;
  }
  e.quota = std::move(*q);
  return e;
}

void QuotaService::RefreshUsage(std::int64_t ws_id, Entry& e, std::int64_t now) {
  if (e.usage_at != 0 && now - e.usage_at < kUsageTtlMs) return;
  e.usage_at = now;
  auto list = store_.jobs().ListJobs(ws_id, true);
  if (!list.ok()) {
    spdlog::warn("cannot read the jobs of workspace {}: {}", ws_id, list.status().ToString());
    return;
  }
  MonthUsage(*list, now, e.month_node_seconds, e.month_cost);
}

std::string QuotaService::BudgetBlocker(const Entry& e, std::int64_t now) const {
  const Quota& q = e.quota;
  std::string again = DayLabel(NextMonthStartMs(now));
  if (q.max_cost && e.month_cost >= *q.max_cost) {
    return fmt::format(
        "quota budget.max_cost: the workspace spent {:.4f} of its monthly budget of {:g} "
        "(until {} or a higher budget)",
        e.month_cost, *q.max_cost, again);
  }
  double hours = e.month_node_seconds / 3600.0;
  if (q.max_node_hours && hours >= *q.max_node_hours) {
    return fmt::format(
        "quota budget.max_node_hours: the workspace used {:.4f} of its {:g} node-hours this "
        "month (until {} or a higher budget)",
        hours, *q.max_node_hours, again);
  }
  return "";
}

Status QuotaService::AdmitSubmit(std::int64_t ws_id, const std::string& compute, int nodes,
                                 int nodes_taken) {
  std::int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = Fresh(ws_id, now);
  const Quota& q = e.quota;
  if (q.empty()) return Status::Ok();
  auto it = q.max_nodes.find(compute);
  if (it != q.max_nodes.end() && nodes > it->second) {
    // It could never start under this quota, whatever on_exceed says.
    return Status(ErrorCode::kQuotaExceeded,
                  fmt::format("quota computes.{}.max_nodes: the job needs {} nodes of compute "
                              "'{}'; this workspace may hold at most {}.",
                              compute, nodes, compute, it->second));
  }
  if (!q.refuse) return Status::Ok();
  if (it != q.max_nodes.end() && nodes_taken + nodes > it->second) {
    return Status(ErrorCode::kQuotaExceeded,
                  fmt::format("quota computes.{}.max_nodes: this workspace's jobs hold or wait "
                              "for {} of its {} nodes of compute '{}' and the job needs {} "
                              "(on_exceed: refuse).",
                              compute, nodes_taken, it->second, compute, nodes));
  }
  if (q.max_cost || q.max_node_hours) {
    RefreshUsage(ws_id, e, now);
    std::string why = BudgetBlocker(e, now);
    if (!why.empty()) {
      return Status(ErrorCode::kQuotaExceeded, "Refused by " + why + " (on_exceed: refuse).");
    }
  }
  return Status::Ok();
}

std::string QuotaService::StartBlocker(std::int64_t ws_id, const std::string& compute, int nodes,
                                       int nodes_busy) {
  std::int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = Fresh(ws_id, now);
  const Quota& q = e.quota;
  if (q.empty()) return "";
  auto it = q.max_nodes.find(compute);
  if (it != q.max_nodes.end() && nodes_busy + nodes > it->second) {
    return fmt::format(
        "Waiting for quota computes.{}.max_nodes: this workspace may hold at most {} nodes of "
        "compute '{}' at once ({} held, the job needs {}).",
        compute, it->second, compute, nodes_busy, nodes);
  }
  if (q.max_cost || q.max_node_hours) {
    RefreshUsage(ws_id, e, now);
    std::string why = BudgetBlocker(e, now);
    if (!why.empty()) return "Waiting for " + why + ".";
  }
  return "";
}

StatusOr<QuotaReport> QuotaService::Get(const std::string& ws) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  Quota quota;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = entries_[ws_id];
    e.loaded_at = 0;  // a report shows what is stored now
    Fresh(ws_id, NowMs());
    quota = e.quota;
  }
  return Report(ws, std::move(quota));
}

StatusOr<QuotaReport> QuotaService::Report(const std::string& ws, Quota quota) {
  std::int64_t now = NowMs();
  QuotaReport r;
  r.workspace = ws;
  r.month = MonthLabel(now);
  r.quota = std::move(quota);
  ASSIGN_OR_RETURN(auto list, jobs_.List(ws, true));
  double ns = 0, cost = 0;
  MonthUsage(list, now, ns, cost);
  r.spent_cost = cost;
  r.spent_node_hours = ns / 3600.0;
  ASSIGN_OR_RETURN(auto computes, jobs_.ListComputes(ws));
  for (const auto& [name, max] : r.quota.max_nodes) {
    ComputeQuotaState s{name, max, 0};
    for (const auto& c : computes) {
      if (c.compute.name == name) s.nodes_in_use = c.busy;
    }
    r.computes.push_back(s);
  }
  return r;
}

StatusOr<QuotaReport> QuotaService::Set(const std::string& ws, const json& spec,
                                        const std::string& who) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(Quota q, ParseQuota(spec));
  std::int64_t now = NowMs();
  q.updated_by = who;
  q.updated_at = now;
  json doc = {{"spec", QuotaSpecJson(q)}, {"updated_by", who}, {"updated_at", now}};
  // Written with the workspace's quota document locked, keeping when it was first set; the
  // answer shows the quota this call wrote, not whatever another server wrote right after.
  RETURN_IF_ERROR(store_.Atomically([&](store::Tx& tx) -> Status {
    ASSIGN_OR_RETURN(auto old, tx.LockDocument(store::Documents::kQuotas, ws_id, kDocId));
    std::int64_t created = old ? old->creation_ms : now;
    return tx.PutDocument(store::Documents::kQuotas, ws_id,
                          store::DocumentRecord{kDocId, created, DumpJson(doc)});
  }));
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.erase(ws_id);
  }
  jobs_.Reschedule();  // queued jobs may start (or wait) under the new quota
  return Report(ws, std::move(q));
}

StatusOr<CostSeries> QuotaService::Series(const std::string& ws, const CostQuery& q) {
  ASSIGN_OR_RETURN(auto list, jobs_.List(ws, true));
  std::vector<CostJob> cj;
  cj.reserve(list.size());
  for (const auto& j : list) cj.push_back({&j, ws});
  return ComputeCostSeries(cj, q, NowMs());
}

StatusOr<CostSeries> QuotaService::ServerSeries(const CostQuery& q) {
  ASSIGN_OR_RETURN(auto workspaces, tracking_.ListWorkspaces());
  std::vector<std::pair<std::string, std::vector<jobs::Job>>> lists;
  lists.reserve(workspaces.size());
  for (const auto& w : workspaces) {
    auto list = jobs_.List(w.name, true);
    if (list.ok()) lists.emplace_back(w.name, std::move(*list));  // else: deleted meanwhile
  }
  std::vector<CostJob> cj;
  for (const auto& [name, list] : lists) {
    for (const auto& j : list) cj.push_back({&j, name});
  }
  return ComputeCostSeries(cj, q, NowMs());
}

}  // namespace mlws::quotas
