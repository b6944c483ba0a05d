// The SQL stores of the tracking resources: workspaces, experiments, runs (params, tags, metric
// chunks), traces. One class per store interface, each over the SqliteStore's DbContext.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlws/store/experiment_store.h"
#include "mlws/store/run_store.h"
#include "mlws/store/trace_store.h"
#include "mlws/store/workspace_store.h"
#include "store/sqlite/db_context.h"
#include "store/sqlite/metric_key_names.h"

namespace mlws::store::sqlite {

// Experiment ids on the wire are decimal strings; anything else cannot exist (false).
bool ParseExperimentId(const std::string& s, std::int64_t* out);
// The rowid of an experiment in a workspace; NotFound with MLflow's message (experiment_store.cc).
StatusOr<std::int64_t> ResolveExperimentRowid(Db& db, std::int64_t workspace_id,
                                              const std::string& experiment_id);
StatusOr<tracking::Experiment> LoadExperiment(Db& db, std::int64_t rowid);

// WorkspaceStore over the shared context (workspace_store.cc).
class SqliteWorkspaceStore final : public WorkspaceStore, private SqliteResourceStore {
 public:
  explicit SqliteWorkspaceStore(DbContext& ctx) : SqliteResourceStore(ctx) {}

  StatusOr<tracking::Workspace> CreateWorkspace(const std::string& name,
                                                const std::string& description) override;
  StatusOr<tracking::Workspace> GetWorkspace(const std::string& name) override;
  StatusOr<std::vector<tracking::Workspace>> ListWorkspaces() override;
  Status DeleteWorkspace(const std::string& name) override;
};

// ExperimentStore over the shared context (experiment_store.cc).
class SqliteExperimentStore final : public ExperimentStore, private SqliteResourceStore {
 public:
  explicit SqliteExperimentStore(DbContext& ctx) : SqliteResourceStore(ctx) {}

  StatusOr<tracking::Experiment> CreateExperiment(
      std::int64_t workspace_id, const std::string& name, const std::string& artifact_location,
      const std::vector<tracking::KeyValue>& tags) override;
  StatusOr<tracking::Experiment> GetExperiment(std::int64_t workspace_id,
                                               const std::string& experiment_id) override;
  StatusOr<tracking::Experiment> GetExperimentByName(std::int64_t workspace_id,
                                                     const std::string& name) override;
  StatusOr<ExperimentPage> SearchExperiments(const ExperimentQuery& query) override;
  Status RenameExperiment(std::int64_t workspace_id, const std::string& experiment_id,
                          const std::string& new_name) override;
  Status SetExperimentLifecycle(std::int64_t workspace_id, const std::string& experiment_id,
                                tracking::LifecycleStage stage) override;
  Status SetExperimentTag(std::int64_t workspace_id, const std::string& experiment_id,
                          const tracking::KeyValue& tag) override;
  Status DeleteExperimentTag(std::int64_t workspace_id, const std::string& experiment_id,
                             const std::string& key) override;
};

// RunStore over the shared context (run_store.cc, run_read.cc, run_search.cc, run_batch_read.cc,
// metric_history_cursor.cc).
class SqliteRunStore final : public RunStore, private SqliteResourceStore {
 public:
  explicit SqliteRunStore(DbContext& ctx) : SqliteResourceStore(ctx) {}

  StatusOr<tracking::Run> CreateRun(const NewRun& run) override;
  StatusOr<tracking::Run> GetRun(std::int64_t workspace_id, const std::string& run_id) override;
  StatusOr<tracking::RunInfo> UpdateRun(std::int64_t workspace_id, const std::string& run_id,
                                        const RunUpdate& update) override;
  Status SetRunLifecycle(std::int64_t workspace_id, const std::string& run_id,
                         tracking::LifecycleStage stage) override;
  Status LogBatch(std::int64_t workspace_id, const std::string& run_id,
                  const std::vector<tracking::Metric>& metrics,
                  const std::vector<tracking::KeyValue>& params,
                  const std::vector<tracking::KeyValue>& tags) override;
  Status DeleteTag(std::int64_t workspace_id, const std::string& run_id,
                   const std::string& key) override;
  Status LogInputs(std::int64_t workspace_id, const std::string& run_id,
                   const std::vector<tracking::DatasetInput>& inputs) override;
  StatusOr<std::vector<tracking::Run>> SearchRuns(const RunQuery& query) override;
  StatusOr<std::vector<tracking::MetricPoint>> GetMetricHistory(
      const MetricHistoryQuery& query) override;
  StatusOr<std::unique_ptr<MetricHistoryCursor>> OpenMetricHistory(
      const MetricHistoryQuery& q) override;

 private:
  friend class SqlTx;  // Atomically's run reads and writes use the writer-side helpers below.

  // A run as the writer sees it (inside a write task).
  struct RunRef {
    std::int64_t rowid = 0;
    std::int64_t experiment_rowid = 0;
    bool active = true;
  };
  // Resolves a run in a workspace; NotFound if absent. With `require_active`, a deleted run
  // gives InvalidArgument as in MLflow.
  static StatusOr<RunRef> ResolveRun(Db& db, std::int64_t workspace_id, const std::string& run_id,
                                     bool require_active);
  static StatusOr<tracking::Run> LoadRun(Db& db, std::int64_t rowid);
  // The runs with these rowids, in that order (run_batch_read.cc); NotFound if one is missing.
  static StatusOr<std::vector<tracking::Run>> LoadRuns(Db& db, MetricKeyNames& key_names,
                                                       const std::vector<std::int64_t>& rowids);
  static StatusOr<tracking::RunInfo> LoadRunInfo(Db& db, std::int64_t rowid);
  // `stored_name`: the run's name as it is already stored, so an equal mlflow.runName tag
  // does not write it again.
  static Status WriteRunTags(Db& db, std::int64_t run_rowid,
                             const std::vector<tracking::KeyValue>& tags,
                             const std::string* stored_name = nullptr);
  // Inserts each param the run does not have; one it has with another value is MLflow's
  // INVALID_PARAMETER_VALUE, naming both values. A statement or two per param.
  static Status CheckParams(Db& db, std::int64_t run_rowid, const std::string& run_id,
                            const std::vector<tracking::KeyValue>& params);
  // Writer-thread state lives in the context.
  StatusOr<std::int64_t> MetricKeyId(Db& db, const std::string& key) {
    return ctx_.MetricKeyId(db, key);
  }
  std::int64_t NextChunkSeq() { return ctx_.NextChunkSeq(); }

  // Metric key names by id for searches' pages (LoadRuns).
  MetricKeyNames key_names_;
};

// TraceStore over the shared context (trace_store.cc).
class SqliteTraceStore final : public TraceStore, private SqliteResourceStore {
 public:
  explicit SqliteTraceStore(DbContext& ctx) : SqliteResourceStore(ctx) {}

  StatusOr<tracking::TraceInfo> StartTrace(std::int64_t workspace_id,
                                           const tracking::TraceInfo& info) override;
  StatusOr<tracking::TraceInfo> EndTrace(std::int64_t workspace_id,
                                         const tracking::TraceInfo& update) override;
  StatusOr<tracking::TraceInfo> GetTraceInfo(std::int64_t workspace_id,
                                             const std::string& request_id) override;
  StatusOr<std::vector<tracking::TraceInfo>> SearchTraces(const TraceQuery& query) override;
  StatusOr<std::int64_t> DeleteTraces(const TraceDelete& request) override;
  Status SetTraceTag(std::int64_t workspace_id, const std::string& request_id,
                     const tracking::KeyValue& tag) override;
  Status DeleteTraceTag(std::int64_t workspace_id, const std::string& request_id,
                        const std::string& key) override;

 private:
  static StatusOr<tracking::TraceInfo> LoadTrace(Db& db, const std::string& request_id);
};

}  // namespace mlws::store::sqlite
