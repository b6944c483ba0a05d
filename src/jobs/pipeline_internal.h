// PipelineRunner internals shared by pipeline_runner.cc, pipeline_state.cc and
// pipeline_reuse.cc.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlws/jobs/job_spec.h"
#include "mlws/jobs/pipeline_runner.h"

namespace mlws::jobs {

// One step's state, as the pipeline's job detail records it.
struct PipelineRunner::Step {
  std::string status = "NotStarted";  // NotStarted | a JobStatus name | Skipped
  std::string job;                    // the step's job ("" before it is created)
  std::string run_id;                 // its MLflow run (for the studio's click-through)
  std::string reused_from;            // the job whose results it reused
  std::string reason;                 // why it failed / was skipped / canceled
  std::string reuse_key;
  std::int64_t started_at = 0;
  std::int64_t ended_at = 0;
  std::map<std::string, std::string> outputs;  // output -> datastore URI (when completed)
  std::map<std::string, std::string> assets;   // output -> registered asset
  std::vector<std::string> notes;
};

// A step found reusable in this pass whose job and run are yet to be written (RecordReuses).
struct PipelineRunner::PendingReuse {
  std::string step;
  nlohmann::json spec;  // the step's job spec
  std::string key;
  Job orig;
  std::string foreign_ws;  // set when orig is another workspace's step (pipeline_foreign_reuse.cc)
};

// Touched by the runner thread only, except `cancel` (set by Cancel under the runner's lock).
struct PipelineRunner::Run {
  Job job;
  PipelineSpec spec;
  std::string ws;
  auth::Principal who;
  std::map<std::string, Step> steps;
  bool cancel = false;                // guarded by the runner's mu_
  bool stop_sent = false;             // running steps were told to stop
  bool recovered = false;             // read the steps' jobs before trusting the recorded state
  std::int64_t persisted_at = 0;      // steady ms of the last Persist
  bool persist_due = false;           // state changed since (written within kPersistEveryMs)
  std::vector<PendingReuse> pending;  // written at the end of the pass
  std::vector<std::string> experiment_ids;  // of the workspace, read once per pass
};

bool IsStepTerminal(const std::string& status);

// A running pipeline's state is written at most this often, per started 250 steps (its detail
// is O(steps) to write, and a bigger pipeline runs longer: a fixed period would make the writes
// O(steps^2) in all; a restart re-reads the steps' own jobs, so a late write loses nothing).
inline constexpr std::int64_t kPersistEveryMs = 250;
inline constexpr std::int64_t kPersistStepsPerPeriod = 250;
inline std::int64_t PersistEveryMs(const PipelineRunner::Run& run) {
  auto steps = static_cast<std::int64_t>(run.steps.size());
  return kPersistEveryMs *
         std::max<std::int64_t>(1, (steps + kPersistStepsPerPeriod - 1) / kPersistStepsPerPeriod);
}

// "<pipeline>--<step>".
inline std::string StepJobName(const std::string& pipeline, const std::string& step) {
  return pipeline + "--" + step;
}

// A path input of a step as the job service's InputSpec.
InputSpec ToInputSpec(const StepInput& in);

// {"type":"pipeline","steps":{…},"edges":[…],"inputs","outputs","settings","notes"}.
nlohmann::json DetailJson(const PipelineRunner::Run& run);
// The steps' state from the job's detail (after a restart).
void RestoreSteps(PipelineRunner::Run& run);
// The tags of a step's run: mlflow.parentRunId, mlws.pipeline, mlws.pipeline.step, reuse key.
std::map<std::string, std::string> StepTags(const PipelineRunner::Run& run,
                                            const PipelineStep& step, const std::string& reuse_key);

// Reuse across workspaces (pipeline_foreign_reuse.cc, docs/registries.md).
struct ForeignReuse {
  Job job;         // the completed step job of the other workspace
  std::string ws;  // its workspace
};
std::optional<ForeignReuse> FindForeignReuse(store::MetadataStore& store,
                                             tracking::TrackingService& tracking,
                                             const PipelineRunner::Run& run,
                                             const PipelineStep& step, const std::string& key);
// Copies the original's outputs (detail["outputs"][*]["uri"]) into run.ws as the outputs of
// `child` and points `detail` at the copies.
Status CopyForeignOutputs(JobAssets& assets, const ForeignReuse& from,
                          const PipelineRunner::Run& run, const PipelineStep& step,
                          const std::string& child, const std::string& run_id,
                          nlohmann::json& detail);

}  // namespace mlws::jobs
