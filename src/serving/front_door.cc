// The scoring front door: authentication outcome, deployment choice, concurrency limits,
// timeouts, mirroring and metrics (see include/mlws/serving/endpoint_service.h).
#include <fmt/format.h>

#include <chrono>

#include "mlws/common/ids.h"
#include "mlws/common/json.h"
#include "serving/serving_state.h"

namespace mlws::serving {

namespace {

constexpr std::size_t kMirrorQueue = 256;

ScoreResult Error(int status, const char* code, const std::string& message,
                  const std::string& deployment = "") {
  return {status, DumpJson({{"error_code", code}, {"message", message}}), deployment};
}

// Smooth weighted round robin (as nginx's): each pick adds every weight to its counter, takes
// the largest and subtracts the total from it. Exact shares over every cycle of 100 picks.
std::string PickByTraffic(LiveEndpoint& ep) {
  int total = 0;
  std::string best;
  int best_val = 0;
  for (const auto& [name, pct] : ep.e.traffic) {
    if (pct <= 0 || !ep.deployments.count(name)) continue;
    total += pct;
    int& cur = ep.swrr_current[name];
    cur += pct;
    if (best.empty() || cur > best_val) {
      best = name;
      best_val = cur;
    }
  }
  if (!best.empty()) ep.swrr_current[best] -= total;
  return best;
}

// The ready instance with the fewest requests in flight.
std::shared_ptr<Instance> PickInstance(LiveDeployment& dep) {
  std::shared_ptr<Instance> best;
  for (auto& i : dep.instances) {
    if (i->state != InstanceState::kReady) continue;
    if (!best || i->in_flight < best->in_flight) best = i;
  }
  return best;
}

int ReadyCount(const LiveDeployment& dep) {
  int n = 0;
  for (const auto& i : dep.instances) n += i->state == InstanceState::kReady;
  return n;
}

void Observe(DeploymentMetrics& m, int status, double ms) {
  ++m.requests_by_status[status];
  ++m.latency_count;
  m.latency_sum_ms += ms;
  for (size_t b = 0; b < kLatencyBucketsMs.size(); ++b) {
    if (ms <= kLatencyBucketsMs[b]) ++m.buckets[b];
  }
  m.minutes.Record(NowMillis(), status, ms);
}

}  // namespace

ScoreResult EndpointService::Score(const ScoreRequest& req) {
  auto t0 = std::chrono::steady_clock::now();
  auto ws_id = s_->tracking.WorkspaceId(req.workspace);
  if (!ws_id.ok()) return Error(404, "RESOURCE_DOES_NOT_EXIST", ws_id.status().message());
  s_->SyncIfUnknown(*ws_id, req.endpoint, req.deployment);  // created through another server
  std::unique_lock<std::mutex> lock(s_->mu);
  auto found = s_->FindEndpoint(*ws_id, req.endpoint);
  if (!found.ok()) return Error(404, "RESOURCE_DOES_NOT_EXIST", found.status().message());
  LiveEndpoint& ep = **found;
  if (ep.e.auth_mode == "key" && !req.key_authenticated && !req.token_authenticated) {
    return Error(401, "UNAUTHENTICATED",
                 "this endpoint needs one of its keys: 'Authorization: Bearer <key>' (mlws "
                 "online-endpoint get-credentials)");
  }
  if (ep.e.auth_mode == "aml_token" && !req.token_authenticated && req.key_authenticated) {
    return Error(401, "UNAUTHENTICATED", "this endpoint takes workspace tokens, not keys");
  }
  std::string name = req.deployment;
  if (name.empty()) {
    name = PickByTraffic(ep);
    if (name.empty()) {
      return Error(503, "TEMPORARILY_UNAVAILABLE",
                   fmt::format("online endpoint '{}' sends no traffic to any deployment (set "
                               "traffic, or name one in the azureml-model-deployment header)",
                               req.endpoint));
    }
  }
  auto it = ep.deployments.find(name);
  if (it == ep.deployments.end()) {
    return Error(
        404, "RESOURCE_DOES_NOT_EXIST",
        fmt::format("deployment '{}' not found in online endpoint '{}'", name, req.endpoint));
  }
  std::shared_ptr<LiveDeployment> dep = it->second;
  // Mirror: a copy of the share of requests to the shadow deployment, answer dropped.
  for (const auto& [shadow, pct] : ep.e.mirror_traffic) {
    if (pct <= 0 || shadow == name || !req.deployment.empty()) continue;
    auto sd = ep.deployments.find(shadow);
    if (sd == ep.deployments.end()) continue;
    // Spread over every 100 requests: 20% mirrors every 5th, 30% three of every 10.
    if (static_cast<int>((ep.mirror_counter++ * static_cast<std::uint64_t>(pct)) % 100) < pct &&
        s_->mirror_queue.size() < kMirrorQueue) {
      s_->mirror_queue.emplace_back(sd->second, req.body);
      s_->mirror_cv.notify_one();
    }
  }
  const RequestSettings& rs = dep->d.request_settings;
  // Admission: at most max_concurrent × ready instances in flight; wait for a slot a while.
  auto admit_deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(rs.max_queue_wait_ms);
  std::shared_ptr<Instance> inst;
  for (;;) {
    int ready = ReadyCount(*dep);
    if (ready > 0 && dep->in_flight < ready * rs.max_concurrent_requests_per_instance) {
      inst = PickInstance(*dep);
      if (inst) break;
    }
    ++s_->slot_waiters;
    bool timed_out =
        s_->stopping || s_->cv.wait_until(lock, admit_deadline) == std::cv_status::timeout;
    --s_->slot_waiters;
    if (timed_out) {
      if (ReadyCount(*dep) == 0) {
        auto r = Error(503, "TEMPORARILY_UNAVAILABLE",
                       fmt::format("deployment '{}' has no ready instance ({})", name,
                                   dep->d.provisioning_state),
                       name);
        Observe(dep->metrics, r.status, 0);
        return r;
      }
      if (dep->in_flight < ReadyCount(*dep) * rs.max_concurrent_requests_per_instance) {
        inst = PickInstance(*dep);
        if (inst) break;
      }
      auto r = Error(429, "REQUEST_LIMIT_EXCEEDED",
                     fmt::format("deployment '{}' is at its limit of {} concurrent requests per "
                                 "instance (request_settings.max_concurrent_requests_per_instance)",
                                 name, rs.max_concurrent_requests_per_instance),
                     name);
      Observe(dep->metrics, r.status, 0);
      return r;
    }
  }
  ++dep->in_flight;
  ++inst->in_flight;
  int timeout_ms = rs.request_timeout_ms;
  std::shared_ptr<ScoringChannel> channel = inst->channel;
  lock.unlock();
  auto reply = channel->Call('R', req.request_id, req.body, timeout_ms);
  lock.lock();
  --dep->in_flight;
  --inst->in_flight;
  if (s_->slot_waiters > 0) s_->cv.notify_all();
  ScoreResult out;
  if (!reply.ok()) {
    out = Error(502, "BAD_GATEWAY", reply.status().message(), name);
  } else if (reply->timed_out) {
    out = Error(408, "REQUEST_TIMEOUT",
                fmt::format("deployment '{}' did not answer within {} ms "
                            "(request_settings.request_timeout_ms)",
                            name, timeout_ms),
                name);
  } else {
    out = {reply->status, std::move(reply->body), name};
  }
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  Observe(dep->metrics, out.status, ms);
  return out;
}

void EndpointService::State::MirrorLoop() {
  std::unique_lock<std::mutex> lock(mu);
  while (!stopping) {
    if (mirror_queue.empty()) {
      mirror_cv.wait(lock);
      continue;
    }
    auto [dep, body] = std::move(mirror_queue.front());
    mirror_queue.pop_front();
    std::shared_ptr<Instance> inst = PickInstance(*dep);
    if (!inst) continue;
    ++inst->in_flight;
    ++dep->in_flight;
    int timeout_ms = dep->d.request_settings.request_timeout_ms;
    std::shared_ptr<ScoringChannel> channel = inst->channel;
    lock.unlock();
    auto r = channel->Call('R', "mirror-" + NewRunId().substr(0, 12), body, timeout_ms);
    lock.lock();
    --inst->in_flight;
    --dep->in_flight;
    ++dep->metrics.mirrored;
    if (slot_waiters > 0) cv.notify_all();
    (void)r;  // mirrored answers are dropped
  }
}

std::string EndpointService::PrometheusText() {
  std::string out;
  out +=
      "# HELP mlws_online_requests_total Scoring requests by endpoint, deployment and status.\n"
      "# TYPE mlws_online_requests_total counter\n";
  std::string hist =
      "# HELP mlws_online_request_duration_ms Scoring latency in the front door (ms).\n"
      "# TYPE mlws_online_request_duration_ms histogram\n";
  std::string gauges =
      "# HELP mlws_online_requests_in_flight Scoring requests being answered.\n"
      "# TYPE mlws_online_requests_in_flight gauge\n";
  std::string restarts =
      "# HELP mlws_online_instance_restarts_total Scoring instances restarted after a crash.\n"
      "# TYPE mlws_online_instance_restarts_total counter\n";
  std::string mirrored =
      "# HELP mlws_online_mirrored_requests_total Requests copied to a shadow deployment.\n"
      "# TYPE mlws_online_mirrored_requests_total counter\n";
  std::string ready =
      "# HELP mlws_online_instances_ready Scoring instances ready to serve.\n"
      "# TYPE mlws_online_instances_ready gauge\n";
  std::lock_guard<std::mutex> lock(s_->mu);
  for (const auto& [ek, ep] : s_->endpoints) {
    for (const auto& [name, dep] : ep->deployments) {
      std::string labels = fmt::format("workspace=\"{}\",endpoint=\"{}\",deployment=\"{}\"", ep->ws,
                                       ep->e.name, name);
      const DeploymentMetrics& m = dep->metrics;
      for (const auto& [status, n] : m.requests_by_status) {
        out +=
            fmt::format("mlws_online_requests_total{{{},status=\"{}\"}} {}\n", labels, status, n);
      }
      for (size_t b = 0; b < kLatencyBucketsMs.size(); ++b) {
        hist += fmt::format("mlws_online_request_duration_ms_bucket{{{},le=\"{}\"}} {}\n", labels,
                            kLatencyBucketsMs[b], m.buckets[b]);
      }
      hist += fmt::format("mlws_online_request_duration_ms_bucket{{{},le=\"+Inf\"}} {}\n", labels,
                          m.latency_count);
      hist +=
          fmt::format("mlws_online_request_duration_ms_sum{{{}}} {}\n", labels, m.latency_sum_ms);
      hist +=
          fmt::format("mlws_online_request_duration_ms_count{{{}}} {}\n", labels, m.latency_count);
      gauges += fmt::format("mlws_online_requests_in_flight{{{}}} {}\n", labels, dep->in_flight);
      restarts += fmt::format("mlws_online_instance_restarts_total{{{}}} {}\n", labels, m.restarts);
      mirrored += fmt::format("mlws_online_mirrored_requests_total{{{}}} {}\n", labels, m.mirrored);
      ready += fmt::format("mlws_online_instances_ready{{{}}} {}\n", labels, ReadyCount(*dep));
    }
  }
  return out + hist + gauges + restarts + mirrored + ready;
}

}  // namespace mlws::serving
