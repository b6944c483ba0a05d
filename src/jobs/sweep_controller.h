// SweepController: runs sweep jobs for the JobService. A sweep is a parent job (with its own
// MLflow run) that never runs a process; its trials are ordinary command jobs submitted through
// JobService::Create, their runs tagged mlflow.parentRunId = the sweep's run.
//
// One thread steps every active sweep when a job ends (JobEnded) and at least every 100 ms:
// it reads the trials' statuses, takes each ended trial's objective (the latest value of the
// primary metric on its run), submits new trials while fewer than max_concurrent_trials run and
// fewer than max_total_trials were started, and ends the sweep when no trial is left: Completed
// with its best trial and value, or Failed when no trial logged the primary metric. The sweep's
// timeout cancels its running trials and ends it. The trials' state is kept in the parent job's
// detail_json (written at most every 500 ms and at the end), so a restarted server continues a
// sweep where it was (Recover).
//
// Early termination: the controller observes metric logging (TrackingService's metric
// observer); when a watched trial logs its primary metric the policy is applied at once, on the
// logging thread, so a trial is canceled (with the policy's reason) before its log call returns.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mlws/jobs/job_service.h"
#include "mlws/jobs/sweep_policy.h"
#include "mlws/jobs/sweep_spec.h"

namespace mlws::jobs {

class SweepController {
 public:
  SweepController(store::MetadataStore& store, tracking::TrackingService& tracking,
                  JobService& jobs);
  ~SweepController();
  SweepController(const SweepController&) = delete;
  SweepController& operator=(const SweepController&) = delete;

  void Start();
  void Stop();

  // Validates and records the sweep; its trials start on the controller's thread.
  StatusOr<Job> Create(const std::string& ws, const nlohmann::json& spec,
                       const auth::Principal& who);
  // Takes over a sweep found Running in the store at start (before Start).
  void Recover(const std::string& ws, const Job& parent);
  // Cancels the sweep's running trials and ends it Canceled; NotFound when `name` is not an
  // active sweep of the workspace.
  StatusOr<Job> Cancel(std::int64_t ws_id, const std::string& name);
  // Any job ended: wakes the controller.
  void Kick();

 private:
  struct Trial {
    int index = 0;
    std::string job;  // "" = submission failed
    std::string run_id;
    TrialValues values;
    JobStatus status = JobStatus::kQueued;
    std::optional<double> value;  // the objective, once ended
    std::string error;
    bool cancel_sent = false;      // canceled once; the scheduler escalates to SIGKILL itself
    int stopped_at = 0;            // early termination: the interval it was stopped at (0 = not)
    nlohmann::json sampler_state;  // what a Bayesian sampler replays after a restart
  };
  // Early termination (sweep_policy.h): what the policy knows of each trial. Written by the
  // metric observer (on the logging thread) and by Step when a trial ends.
  struct PolicyState {
    std::mutex mu;
    std::vector<TrialCurve> curves;    // guarded by mu: one per trial, by index
    std::vector<int> stopped_at;       // guarded by mu: 0 = not stopped, else the interval
    std::vector<std::string> reasons;  // guarded by mu
  };
  struct Sweep {
    std::string ws;
    Job job;
    nlohmann::json spec_json;
    SweepSpec spec;
    std::unique_ptr<Sampler> sampler;
    std::vector<Trial> trials;
    std::vector<int> live;  // indexes of trials not yet ended
    bool exhausted = false;
    std::string sampler_error;        // the sampler stopped drawing (a Bayesian helper failed)
    std::atomic<bool> cancel{false};  // set by Cancel (any thread)
    bool dirty = false;
    std::int64_t persisted_at = 0;
    auth::Principal who;
    PolicyState policy;
  };
  struct Watched {  // a running trial whose metrics the policy reads
    std::shared_ptr<Sweep> sweep;
    int index = 0;
    std::string job;
  };

  // The metric observer: applies the sweep's early termination policy to a trial's new values.
  void OnMetrics(const std::string& run_id, const std::vector<tracking::Metric>& metrics);
  // A new trial's slot in the policy state (and its run watched when the sweep has a policy).
  void AddToPolicy(const std::shared_ptr<Sweep>& s, const Trial& t);
  // Trial `t` ended: its curve is final; a trial the policy stopped gets the policy's reason,
  // the interval and its last value before the stop as its objective.
  void EndInPolicy(Sweep& s, Trial& t);
  // random / grid natively; bayesian through the Optuna helper (sweep_bayesian.h).
  StatusOr<std::unique_ptr<Sampler>> NewSampler(const SweepSpec& spec);
  void Loop();
  // Advances one sweep; true when it ended.
  bool Step(const std::shared_ptr<Sweep>& sweep);
  void Finish(Sweep& s, JobStatus status, const std::string& error);
  void Persist(Sweep& s);
  nlohmann::json DetailJson(const Sweep& s) const;

  store::MetadataStore& store_;
  tracking::TrackingService& tracking_;
  JobService& jobs_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Sweep>> sweeps_;  // guarded by mu_: "<ws id>/<name>"
  std::map<std::string, Watched> watched_;  // guarded by mu_: by run id, trials under a policy
  std::atomic<size_t> watching_{0};         // watched_.size(), read without mu_
  int observer_id_ = 0;
  bool kicked_ = false;    // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace mlws::jobs
