// PipelineRunner: pipeline jobs (pipeline_spec.h) on top of the JobService.
//
// A pipeline is a job with a run and no process of its own; each step is an ordinary command job
// named "<pipeline>--<step>" whose run carries the tag mlflow.parentRunId (so MLflow UIs nest it)
// and mlws.pipeline / mlws.pipeline.step. Create validates the whole graph and everything the
// steps refer to (components, computes, code, data inputs, environments) before anything is
// written. A step's job is created as soon as every step it reads from completed, so independent
// steps queue together and run in parallel up to their computes' slots.
//
// A failed (or canceled) step skips the steps that read from it; without
// settings.continue_on_step_failure it also cancels the running steps and starts no others.
// Cancel cancels every running step. The pipeline's state (per step: job, status, reuse) is kept
// in its job's detail, so a restarted server re-adopts a running pipeline (Recover).
//
// Reuse: a deterministic step (is_deterministic, default true) without force_rerun is not run
// when a completed step in the workspace had the same reuse key (see ReuseKey in
// pipeline_reuse.cc and docs/pipelines.md); its job is recorded Completed at once, with the
// original's outputs and the tag mlws.reused_from.
//
// Thread-safe. One thread advances pipelines; JobService calls OnJobEnded (without its lock held)
// when any job ends.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mlws/auth/auth_service.h"
#include "mlws/common/status.h"
#include "mlws/jobs/job.h"
#include "mlws/jobs/job_assets.h"
#include "mlws/jobs/pipeline_spec.h"
#include "mlws/store/metadata_store.h"
#include "mlws/tracking/tracking_service.h"

namespace mlws::jobs {

class JobService;

// True for the job row of a pipeline (its stored spec says type: pipeline).
bool IsPipelineJob(const Job& job);

class PipelineRunner {
 public:
  PipelineRunner(store::MetadataStore& store, tracking::TrackingService& tracking,
                 JobAssets& assets, JobService& jobs);
  ~PipelineRunner();
  PipelineRunner(const PipelineRunner&) = delete;
  PipelineRunner& operator=(const PipelineRunner&) = delete;

  StatusOr<Job> Create(const std::string& ws, std::int64_t ws_id, const nlohmann::json& spec,
                       const auth::Principal& who);
  // nullopt when `name` is not a running pipeline.
  std::optional<StatusOr<Job>> Cancel(std::int64_t ws_id, const std::string& name);
  // Re-adopts running pipelines (job rows the JobService's Recover left to it).
  void Recover(const std::vector<Job>& pipelines);
  void Start();
  void Stop();
  // Any job ended; a pipeline's step wakes its pipeline.
  void OnJobEnded(const Job& job);

  // State of one pipeline and of its steps (src/jobs/pipeline_internal.h).
  struct Step;
  struct Run;
  struct PendingReuse;

 private:
  using Key = std::string;

  void Loop();
  void Advance(Run& run);
  void Dispatch(Run& run, const PipelineStep& step, Step& st);
  // `spec`: the step's job spec (name, bound inputs and tags set). Reads only: when a completed
  // job has `key`, the step takes its results now and its records join run.pending.
  bool TryReuse(Run& run, const PipelineStep& step, Step& st, const nlohmann::json& spec,
                const std::string& key);
  // Writes the pending reused steps' runs and jobs, several at once so the store's group commit
  // batches them (a fully reused pipeline costs a few commits, not three per step).
  void RecordReuses(Run& run);
  Status RecordReuse(Run& run, const PendingReuse& p, Job& made);
  StatusOr<std::string> ReuseKey(Run& run, const PipelineStep& step,
                                 const std::map<std::string, std::string>& upstream);
  void Apply(Run& run, Step& st, const Job& child);
  void Finish(Run& run);
  void Persist(Run& run);
  StatusOr<tracking::Experiment> Experiment(const std::string& ws, const std::string& name);
  StatusOr<PipelineSpec> Parse(const std::string& ws, const nlohmann::json& spec,
                               nlohmann::json* resolved);

  store::MetadataStore& store_;
  tracking::TrackingService& tracking_;
  JobAssets& assets_;
  JobService& jobs_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<Key, std::shared_ptr<Run>> runs_;  // guarded by mu_
  std::map<Key, Key> child_of_;               // guarded by mu_: step job -> pipeline
  std::map<Key, std::vector<Job>> ended_;     // guarded by mu_: step jobs that ended
  std::set<Key> dirty_;                       // guarded by mu_: pipelines to advance
  bool stopping_ = false;                     // guarded by mu_
  bool started_ = false;                      // guarded by mu_
  std::thread thread_;
};

}  // namespace mlws::jobs
