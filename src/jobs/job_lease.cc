// Several servers on one database: job leases (docs/scale-out.md).
//
// Every job a server creates is leased to it in the job's own transaction (LeaseStore); the
// lease loop renews all of this server's leases with one statement every lease/3 and takes
// over the jobs of servers that died: queued ones are queued here, running ones re-adopted when
// their process is reachable from here (same host and its supervisor alive or its exit file
// written, or a Slurm job id) and otherwise failed saying which server died and when its lease
// expired. Before a queued job starts, the launching server claims it again (one conditional
// upsert per job, one transaction per batch): a job whose lease another server took is dropped
// here, so no job runs twice. A cancel asked of another server waits in the store until the
// lease holder's loop carries it out (CarryOutCancelRequests).
#include "jobs/job_lease.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "jobs/job_service_internal.h"
#include "jobs/slurm_compute.h"
#include "jobs/sweep_controller.h"
#include "mlws/jobs/pipeline_runner.h"

namespace mlws::jobs {

namespace {

// Whether `pid` is a live process of the mlws binary (a pid reused by another program is not).
bool MlwsAlive(std::int64_t pid) {
  if (pid <= 0) return false;
  if (kill(static_cast<pid_t>(pid), 0) != 0) return errno == EPERM;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::string argv0;
  std::getline(in, argv0, '\0');
  return argv0.find("mlws") != std::string::npos;
}

std::int64_t ParsePid(const std::string& server_id) {
  auto last = server_id.rfind(':');
  if (last == std::string::npos || last == 0) return 0;
  auto prev = server_id.rfind(':', last - 1);
  if (prev == std::string::npos) return 0;
  try {
    return std::stoll(server_id.substr(prev + 1, last - prev - 1));
  } catch (...) {
    return 0;
  }
}

// Cancels the jobs this server holds that were asked to cancel through another server (and
// drops those requests); a job not scheduled here yet keeps its request for the next round.
void CarryOutCancelRequests(JobService& jobs, store::LeaseStore& store) {
  auto requests = store.CancelRequestsFor(jobs.server_id());
  if (!requests.ok() || requests->empty()) return;
  std::vector<store::LeaseKey> done;
  for (const auto& q : *requests) {
    auto r = jobs.Cancel(q.workspace, q.name);
    if (!r.ok() && r.status().code() == ErrorCode::kTemporarilyUnavailable) continue;
    spdlog::info("job {}: cancel requested through another server: {}", q.name,
                 r.ok() ? "canceling" : r.status().message());
    done.push_back({q.workspace_id, q.name});
  }
  Status st = store.DropCancelRequests(done);
  if (!st.ok()) spdlog::warn("cannot drop carried-out cancel requests: {}", st.ToString());
}

}  // namespace

std::string IsoTime(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

JobLeases::JobLeases(store::LeaseStore& store, std::int64_t lease_ms)
    : store_(store), lease_ms_(lease_ms) {
  // $MLWS_SERVER_HOST names the host instead of gethostname (docs/scale-out.md): for servers in
  // containers that share one hostname across machines, and for tests of two hosts on one.
  char name[256] = {0};
  if (const char* h = std::getenv("MLWS_SERVER_HOST"); h != nullptr && *h != 0) {
    std::snprintf(name, sizeof name, "%s", h);
  } else if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') {
    std::snprintf(name, 9, "%s", "unknown");
  }
  host_ = name;
  for (char& c : host_) {
    if (c == ':') c = '_';  // the id's separator
  }
  pid_ = getpid();
  started_at_ = NowMs();
  id_ = fmt::format("{}:{}:{}", host_, pid_, started_at_);
}

Status JobLeases::Register() {
  std::int64_t now = NowMs();
  RETURN_IF_ERROR(store_.RegisterServer({id_, host_, pid_, started_at_, now, url_}));
  store_.SetLeaseHolder(id_, lease_ms_);
  return Status::Ok();
}

Status JobLeases::Advertise(const std::string& url) {
  url_ = url;
  return store_.RegisterServer({id_, host_, pid_, started_at_, NowMs(), url_});
}

std::string JobLeases::HostOf(const std::string& server_id) {
  auto last = server_id.rfind(':');
  if (last == std::string::npos || last == 0) return "";
  auto prev = server_id.rfind(':', last - 1);
  return prev == std::string::npos ? "" : server_id.substr(0, prev);
}

bool JobLeases::DeadOnThisHost(const std::string& server_id) const {
  if (server_id == id_ || HostOf(server_id) != host_) return false;
  return !MlwsAlive(ParsePid(server_id));
}

std::vector<std::string> JobLeases::DeadLocalServers() {
  std::vector<std::string> dead;
  auto servers = store_.ListServers();
  if (!servers.ok()) return dead;
  for (const auto& s : *servers) {
    if (DeadOnThisHost(s.id)) dead.push_back(s.id);
  }
  return dead;
}

// --- JobService: the lease parts ---

const std::string& JobService::server_id() const { return leases_->server_id(); }

Status JobService::Advertise(const std::string& url) { return leases_->Advertise(url); }

Status JobService::Recover() {
  RETURN_IF_ERROR(leases_->Register());
  ASSIGN_OR_RETURN(auto jobs, store_.jobs().ListActiveJobs());
  // Only jobs nobody else holds: unleased, expired, or held by a dead server of this host (a
  // restart of this server). A live server's jobs stay its own.
  std::int64_t now = NowMs();
  std::map<std::string, std::vector<size_t>> by_holder;  // "" = unleased or expired
  std::map<Key, std::string> holders;
  size_t others = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    auto lease = leases_->store().GetLease(jobs[i].workspace_id, jobs[i].name);
    if (!lease.ok()) return lease.status();
    if (!*lease) {
      by_holder[""].push_back(i);
      continue;
    }
    const std::string& holder = (*lease)->server_id;
    if (leases_->DeadOnThisHost(holder)) {
      by_holder[holder].push_back(i);
    } else if ((*lease)->expires_at < now) {
      by_holder[""].push_back(i);
    } else {
      ++others;
      continue;
    }
    holders[JobKey(jobs[i].workspace_id, jobs[i].name)] = holder;
  }
  std::vector<Job> mine;
  for (const auto& [holder, idx] : by_holder) {
    std::vector<store::LeaseKey> k;
    for (size_t i : idx) k.push_back({jobs[i].workspace_id, jobs[i].name});
    ASSIGN_OR_RETURN(
        auto got, leases_->store().Claim(k, server_id(), now, now + leases_->lease_ms(), holder));
    for (size_t n = 0; n < idx.size(); ++n) {
      if (got[n]) {
        mine.push_back(jobs[idx[n]]);
      } else {
        ++others;
      }
    }
    if (!holder.empty()) (void)leases_->store().RemoveServer(holder);
  }
  for (const auto& d : leases_->DeadLocalServers()) (void)leases_->store().RemoveServer(d);
  if (others > 0)
    spdlog::info("{} active job(s) belong to other live servers: left to them", others);
  return AdoptJobs(std::move(mine), holders);
}

std::string JobService::UnreachableReason(const Job& j,
                                          const std::map<Key, std::string>& holders) const {
  auto it = holders.find(JobKey(j.workspace_id, j.name));
  if (it == holders.end() || j.status != JobStatus::kRunning) return "";
  if (SlurmJobIdOf(j) > 0 || j.supervisor_pid <= 0) return "";  // Slurm, or a sweep parent
  const std::string& dead = it->second;
  auto lease = leases_->store().GetLease(j.workspace_id, j.name);
  std::string when = lease.ok() && *lease ? IsoTime((*lease)->expires_at) : "?";
  std::string host = JobLeases::HostOf(dead);
  if (host != leases_->host()) {
    return fmt::format(
        "Server {} died; its lease on the job expired at {}. The job's process ran on host {}, "
        "which server {} cannot reach, so it was not started again.",
        dead, when, host, server_id());
  }
  bool alive = kill(static_cast<pid_t>(j.supervisor_pid), 0) == 0 || errno == EPERM;
  if (alive || std::filesystem::exists(j.job_dir + "/exit")) return "";  // re-adopted here
  return fmt::format(
      "Server {} stopped (its lease on the job ran to {}); the job's process is gone and left "
      "no exit code, so it was not started again.",
      dead, when);
}

std::vector<std::shared_ptr<JobService::Active>> JobService::KeepClaimed(
    const std::vector<std::shared_ptr<Active>>& batch) {
  std::vector<store::LeaseKey> keys;
  for (const auto& a : batch) keys.push_back({a->job.workspace_id, a->job.name});
  std::int64_t now = NowMs();
  auto won = leases_->store().Claim(keys, server_id(), now, now + leases_->lease_ms(), "");
  if (!won.ok()) {
    // The database is unreachable: start nothing now, try again on the next pass.
    spdlog::warn("cannot claim {} job(s) to start: {}", batch.size(), won.status().ToString());
  }
  std::vector<std::shared_ptr<Active>> keep;
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < batch.size(); ++i) {
    Active& a = *batch[i];
    if (won.ok() && (*won)[i]) {
      keep.push_back(batch[i]);
      continue;
    }
    a.launching = false;
    auto pool = pools_[a.pool];
    if (pool) pool->busy -= a.job.instance_count;
    Key key = JobKey(a.job.workspace_id, a.job.name);
    if (won.ok()) {
      spdlog::warn("job {}: another server holds its lease now: left to it", a.job.name);
      active_.erase(key);
    } else if (pool) {
      pool->queue[{-a.job.priority, a.seq}] = key;  // back in the queue, in its place
    }
  }
  return keep;
}

std::int64_t JobService::LeaseMs() const { return leases_->lease_ms(); }

bool JobService::ServerGone(const std::string& id) const { return leases_->DeadOnThisHost(id); }

std::string JobService::HostOfServer(const std::string& id) { return JobLeases::HostOf(id); }

const std::string& JobService::host() const { return leases_->host(); }

std::vector<bool> JobService::StillClaimed(const std::vector<Job>& jobs) {
  std::vector<store::LeaseKey> keys;
  for (const auto& j : jobs) keys.push_back({j.workspace_id, j.name});
  std::int64_t now = NowMs();
  auto won = leases_->store().Claim(keys, server_id(), now, now + leases_->lease_ms(), "");
  if (!won.ok()) return std::vector<bool>(jobs.size(), true);
  return *won;
}

void JobService::ForgetLostJob(const Job& job) {
  spdlog::warn("job {}: another server took its lease while it was being prepared: left to it",
               job.name);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(JobKey(job.workspace_id, job.name));
    if (it != active_.end()) {
      auto pool = pools_[it->second->pool];
      if (pool) pool->busy -= job.instance_count;
      active_.erase(it);
    }
    kicked_ = true;
  }
  if (job.token_id != 0) {
    (void)auth_.RevokeToken(auth::Principal{job.owner_id, job.owner, false}, job.token_id, true);
  }
}

void JobService::ReleaseLease(const Job& job) {
  Status st = leases_->store().Release({{job.workspace_id, job.name}}, server_id());
  if (!st.ok()) spdlog::warn("job {}: cannot release its lease: {}", job.name, st.ToString());
}

void JobService::LeaseLoop() {
  const std::int64_t period = std::max<std::int64_t>(50, leases_->lease_ms() / 3);
  // Cancel requests are looked for more often than leases are renewed: a cancel through another
  // server is carried out within a second.
  const auto tick = std::chrono::milliseconds(std::min<std::int64_t>(period, 1000));
  // The renewal cadence is on the monotonic clock: a wall clock that jumps back does not stop
  // the renewals (and let the leases lapse for other servers); the stored times are wall times.
  std::int64_t renewed_at = options_.env->MonotonicMillis();
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      lease_cv_.wait_for(lock, tick, [this] { return stopping_; });
      if (stopping_) return;
    }
    std::int64_t mono = options_.env->MonotonicMillis();
    if (mono - renewed_at >= period) {
      renewed_at = mono;
      std::int64_t now = NowMs();
      auto held = leases_->store().Renew(server_id(), now, now + leases_->lease_ms());
      if (!held.ok()) {
        spdlog::warn("cannot renew the job leases of server {}: {}", server_id(),
                     held.status().ToString());
        continue;
      }
      TakeOverExpired();
    }
    if (leases_->store().KeepsCancelRequests()) CarryOutCancelRequests(*this, leases_->store());
  }
}

void JobService::TakeOverExpired() {
  std::vector<std::string> dead = leases_->DeadLocalServers();
  std::int64_t now = NowMs();
  auto claimable = leases_->store().Claimable(server_id(), now, dead, 500);
  if (!claimable.ok() || claimable->empty()) {
    for (const auto& d : dead) (void)leases_->store().RemoveServer(d);
    return;
  }
  std::map<std::string, std::vector<store::LeaseKey>> by_holder;
  for (const auto& l : *claimable) by_holder[l.server_id].push_back({l.workspace_id, l.name});
  std::vector<Job> jobs;
  std::map<Key, std::string> holders;
  std::vector<store::LeaseKey> ended;
  for (const auto& [holder, keys] : by_holder) {
    bool holder_dead = std::find(dead.begin(), dead.end(), holder) != dead.end();
    auto won = leases_->store().Claim(keys, server_id(), now, now + leases_->lease_ms(),
                                      holder_dead ? holder : "");
    if (!won.ok()) return;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (!(*won)[i]) continue;  // another server was quicker
      auto job = store_.jobs().GetJob(keys[i].workspace_id, keys[i].name);
      if (!job.ok() || IsTerminal(job->status)) {
        ended.push_back(keys[i]);
        continue;
      }
      holders[JobKey(job->workspace_id, job->name)] = holder;
      jobs.push_back(std::move(*job));
    }
  }
  (void)leases_->store().Release(ended, server_id());
  if (!jobs.empty()) {
    spdlog::warn("taking over {} job(s) of {} server(s) that stopped renewing their leases",
                 jobs.size(), by_holder.size());
    Status st = AdoptJobs(std::move(jobs), holders);
    if (!st.ok()) spdlog::error("taking over jobs failed: {}", st.ToString());
  }
  for (const auto& d : dead) (void)leases_->store().RemoveServer(d);
}

}  // namespace mlws::jobs
