// SqliteStore: the SQL MetadataStore, on one SQLite file (WAL mode) or on a PostgreSQL database
// (the same code over PgDb connections, see store/postgres/pg_db.h; the name is historical).
//
// Writes go through the WriteQueue (group commit, one writer thread); reads use a pool of
// read-only connections, so reads never wait for writes. Implementation is split by resource:
// workspace_store.cc, experiment_store.cc, run_store.cc, run_read.cc, run_search.cc,
// trace_store.cc.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "mlws/store/metadata_store.h"
#include "store/sqlite/db.h"
#include "store/sqlite/lease_store.h"
#include "store/sqlite/mlflow3_stores.h"
#include "store/sqlite/reader_pool.h"
#include "store/sqlite/schedule_store.h"
#include "store/sqlite/write_queue.h"

namespace mlws::store::sqlite {

class SqliteStore final : public MetadataStore,
                          public WorkspaceStore,
                          public ExperimentStore,
                          public RunStore,
                          public TraceStore,
                          public AuthStore,
                          public SecretStore,
                          public RegistryStore,
                          public AssetStore,
                          public JobStore {
 public:
  static StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  // The store over connections `connect` opens (the first one is the writer's).
  static StatusOr<std::unique_ptr<SqliteStore>> OpenWith(Connector connect);
  ~SqliteStore() override;

  // MetadataStore
  StatusOr<int> Migrate() override;
  void Close() override;
  WorkspaceStore& workspaces() override { return *this; }
  ExperimentStore& experiments() override { return *this; }
  RunStore& runs() override { return *this; }
  TraceStore& traces() override { return *this; }
  AuthStore& auth() override { return *this; }
  SecretStore& secrets() override { return *this; }
  RegistryStore& registry() override { return *this; }
  AssetStore& assets() override { return *this; }
  JobStore& jobs() override { return *this; }
  LoggedModelStore& logged_models() override { return logged_models_; }
  TraceV3Store& traces_v3() override { return traces_v3_; }
  DocumentStore& webhooks() override { return webhooks_; }
  DocumentStore& eval_datasets() override { return eval_datasets_; }
  DocumentStore& online_endpoints() override { return online_endpoints_; }
  DocumentStore& online_deployments() override { return online_deployments_; }
  DocumentStore& online_minute_stats() override { return online_minute_stats_; }
  DocumentStore& quotas() override { return quotas_; }
  DocumentStore& batch_endpoints() override { return batch_endpoints_; }
  DocumentStore& batch_deployments() override { return batch_deployments_; }
  void SetWriteQueueLimit(std::size_t limit) override { writes_.SetLimit(limit); }
  WriteQueueStats WriteStats() override {
    WriteQueue::Stats s = writes_.GetStats();
    return WriteQueueStats{s.depth, s.limit, s.rejected};
  }
  ScheduleStore& schedules() override { return schedules_; }
  LeaseStore& leases() override { return leases_; }

  // WorkspaceStore
  StatusOr<tracking::Workspace> CreateWorkspace(const std::string& name,
                                                const std::string& description) override;
  StatusOr<tracking::Workspace> GetWorkspace(const std::string& name) override;
  StatusOr<std::vector<tracking::Workspace>> ListWorkspaces() override;
  Status DeleteWorkspace(const std::string& name) override;

  // ExperimentStore
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

  // RunStore
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

  // TraceStore
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

  // AuthStore (auth_store.cc)
  StatusOr<auth::User> CreateUser(const std::string& name,
                                  const std::string& password_hash) override;
  StatusOr<auth::User> GetUser(const std::string& name) override;
  StatusOr<std::vector<auth::User>> ListUsers() override;
  StatusOr<std::int64_t> CountUsers() override;
  Status DeleteUser(const std::string& name) override;
  StatusOr<auth::TokenInfo> CreateToken(std::int64_t user_id, const std::string& name,
                                        const std::string& prefix, const Sha256& secret,
                                        std::optional<std::int64_t> expiry_time,
                                        const std::string& scope) override;
  StatusOr<std::pair<auth::TokenInfo, auth::User>> FindToken(const Sha256& secret) override;
  StatusOr<std::vector<auth::TokenInfo>> ListTokens(std::optional<std::int64_t> user_id) override;
  Status RevokeToken(std::int64_t id, std::optional<std::int64_t> owner_user_id) override;
  Status TouchToken(std::int64_t id, std::int64_t time) override;
  StatusOr<auth::Group> CreateGroup(const std::string& name) override;
  StatusOr<auth::Group> GetGroup(const std::string& name) override;
  StatusOr<std::vector<auth::Group>> ListGroups() override;
  Status DeleteGroup(const std::string& name) override;
  Status AddGroupMember(std::int64_t group_id, std::int64_t user_id) override;
  Status RemoveGroupMember(std::int64_t group_id, std::int64_t user_id) override;
  Status CreateCustomRole(const auth::Role& role) override;
  StatusOr<std::vector<auth::Role>> ListCustomRoles() override;
  Status DeleteCustomRole(const std::string& name) override;
  StatusOr<auth::RoleAssignment> CreateRoleAssignment(
      std::optional<std::int64_t> user_id, std::optional<std::int64_t> group_id,
      const std::string& role, std::optional<std::int64_t> workspace_id) override;
  StatusOr<std::vector<auth::RoleAssignment>> ListRoleAssignments(
      std::optional<std::int64_t> user_id) override;
  Status DeleteRoleAssignment(std::int64_t id) override;
  void AppendAudit(const auth::AuditEntry& entry) override;
  StatusOr<std::vector<auth::AuditEntry>> ListAudit(const auth::AuditQuery& query) override;

  // SecretStore (secret_store.cc)
  Status PutSecret(std::int64_t workspace_id, const SealedSecret& secret) override;
  StatusOr<SealedSecret> GetSecret(std::int64_t workspace_id, const std::string& name) override;
  StatusOr<std::vector<SealedSecret>> ListSecrets(std::int64_t workspace_id) override;
  Status DeleteSecret(std::int64_t workspace_id, const std::string& name) override;

  // RegistryStore (registry_store.cc, registry_search.cc)
  StatusOr<assets::RegisteredModel> CreateRegisteredModel(
      std::int64_t ws, const std::string& name, const std::string& description,
      const std::vector<tracking::KeyValue>& tags) override;
  StatusOr<assets::RegisteredModel> GetRegisteredModel(std::int64_t ws,
                                                       const std::string& name) override;
  StatusOr<assets::RegisteredModel> RenameRegisteredModel(std::int64_t ws, const std::string& name,
                                                          const std::string& new_name) override;
  StatusOr<assets::RegisteredModel> UpdateRegisteredModel(std::int64_t ws, const std::string& name,
                                                          const std::string& description) override;
  Status DeleteRegisteredModel(std::int64_t ws, const std::string& name) override;
  StatusOr<std::vector<assets::RegisteredModel>> SearchRegisteredModels(
      const RegistryQuery& q) override;
  Status SetRegisteredModelTag(std::int64_t ws, const std::string& name,
                               const tracking::KeyValue& tag) override;
  Status DeleteRegisteredModelTag(std::int64_t ws, const std::string& name,
                                  const std::string& key) override;
  Status SetAlias(std::int64_t ws, const std::string& name, const std::string& alias,
                  std::int64_t version) override;
  Status DeleteAlias(std::int64_t ws, const std::string& name, const std::string& alias) override;
  StatusOr<assets::ModelVersion> GetVersionByAlias(std::int64_t ws, const std::string& name,
                                                   const std::string& alias) override;
  StatusOr<assets::ModelVersion> CreateModelVersion(std::int64_t ws,
                                                    const assets::ModelVersion& v) override;
  StatusOr<assets::ModelVersion> GetModelVersion(std::int64_t ws, const std::string& name,
                                                 std::int64_t version) override;
  StatusOr<assets::ModelVersion> UpdateModelVersion(std::int64_t ws, const std::string& name,
                                                    std::int64_t version,
                                                    const std::string& description) override;
  Status DeleteModelVersion(std::int64_t ws, const std::string& name,
                            std::int64_t version) override;
  StatusOr<assets::ModelVersion> TransitionStage(std::int64_t ws, const std::string& name,
                                                 std::int64_t version, const std::string& stage,
                                                 bool archive_existing) override;
  StatusOr<std::vector<assets::ModelVersion>> SearchModelVersions(const RegistryQuery& q) override;
  Status SetModelVersionTag(std::int64_t ws, const std::string& name, std::int64_t version,
                            const tracking::KeyValue& tag) override;
  Status DeleteModelVersionTag(std::int64_t ws, const std::string& name, std::int64_t version,
                               const std::string& key) override;

  // AssetStore (asset_store.cc, datastore_store.cc)
  StatusOr<assets::Asset> CreateAsset(std::int64_t ws, const assets::Asset& a) override;
  StatusOr<assets::Asset> GetAsset(std::int64_t ws, assets::AssetKind kind, const std::string& name,
                                   const std::string& version) override;
  StatusOr<assets::Asset> GetLatestAsset(std::int64_t ws, assets::AssetKind kind,
                                         const std::string& name) override;
  StatusOr<std::vector<assets::Asset>> ListAssets(const AssetQuery& q) override;
  StatusOr<std::vector<std::string>> AssetVersions(std::int64_t ws, assets::AssetKind kind,
                                                   const std::string& name) override;
  StatusOr<assets::Asset> UpdateAsset(std::int64_t ws, const assets::Asset& a) override;
  Status DeleteAsset(std::int64_t ws, assets::AssetKind kind, const std::string& name,
                     const std::string& version) override;
  StatusOr<std::int64_t> CountContentRefs(std::int64_t ws, const std::string& hash) override;
  Status RecordAssetInput(std::int64_t ws, const std::string& run_id, assets::AssetKind kind,
                          const std::string& name, const std::string& version) override;
  StatusOr<std::vector<std::string>> RunsUsingAsset(std::int64_t ws, assets::AssetKind kind,
                                                    const std::string& name,
                                                    const std::string& version) override;
  StatusOr<std::vector<assets::Asset>> AssetInputsOfRun(std::int64_t ws,
                                                        const std::string& run_id) override;
  StatusOr<std::vector<assets::Asset>> AssetsProducedByRun(std::int64_t ws,
                                                           const std::string& run_id) override;
  StatusOr<assets::Datastore> CreateDatastore(std::int64_t ws, const assets::Datastore& d) override;
  StatusOr<assets::Datastore> GetDatastore(std::int64_t ws, const std::string& name) override;
  StatusOr<std::vector<assets::Datastore>> ListDatastores(std::int64_t ws) override;
  Status DeleteDatastore(std::int64_t ws, const std::string& name) override;

  // JobStore (job_store.cc)
  Status CreateJob(const jobs::Job& job) override;
  StatusOr<jobs::Job> GetJob(std::int64_t workspace_id, const std::string& name) override;
  StatusOr<std::vector<jobs::Job>> ListJobs(std::int64_t workspace_id,
                                            bool include_archived) override;
  StatusOr<std::vector<jobs::Job>> ListActiveJobs() override;
  Status UpdateJobs(const std::vector<jobs::Job>& jobs) override;
  Status SetJobArchived(std::int64_t workspace_id, const std::string& name, bool archived) override;
  Status CreateCompute(const jobs::Compute& compute) override;
  Status ReplaceCompute(const jobs::Compute& compute) override;
  StatusOr<jobs::Compute> GetCompute(std::int64_t workspace_id, const std::string& name) override;
  StatusOr<std::vector<jobs::Compute>> ListComputes(std::int64_t workspace_id) override;
  Status DeleteCompute(std::int64_t workspace_id, const std::string& name) override;

 private:
  SqliteStore(Connector connect, std::unique_ptr<Db> writer);

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
  static StatusOr<std::int64_t> ResolveExperimentRowid(Db& db, std::int64_t workspace_id,
                                                       const std::string& experiment_id);
  static StatusOr<tracking::Experiment> LoadExperiment(Db& db, std::int64_t rowid);
  static StatusOr<tracking::Run> LoadRun(Db& db, std::int64_t rowid);
  // The runs with these rowids, in that order (run_batch_read.cc); NotFound if one is missing.
  static StatusOr<std::vector<tracking::Run>> LoadRuns(Db& db,
                                                       const std::vector<std::int64_t>& rowids);
  static StatusOr<tracking::RunInfo> LoadRunInfo(Db& db, std::int64_t rowid);
  static StatusOr<tracking::TraceInfo> LoadTrace(Db& db, const std::string& request_id);
  // Interned id of a metric key (writer thread only).
  StatusOr<std::int64_t> MetricKeyId(Db& db, const std::string& key);
  // `stored_name`: the run's name as it is already stored, so an equal mlflow.runName tag
  // does not write it again.
  static Status WriteRunTags(Db& db, std::int64_t run_rowid,
                             const std::vector<tracking::KeyValue>& tags,
                             const std::string* stored_name = nullptr);

  Connector connect_;
  WriteQueue writes_;
  ReaderPool readers_;
  SqliteLoggedModelStore logged_models_{writes_, readers_};
  SqliteTraceV3Store traces_v3_{writes_, readers_};
  SqliteDocumentStore webhooks_{writes_, readers_, "webhooks", "Webhook"};
  SqliteDocumentStore eval_datasets_{writes_, readers_, "eval_datasets", "Evaluation dataset"};
  SqliteScheduleStore schedules_{writes_, readers_};
  SqliteLeaseStore leases_{writes_, readers_};
  SqliteDocumentStore online_endpoints_{writes_, readers_, "online_endpoints", "Online endpoint"};
  SqliteDocumentStore online_deployments_{writes_, readers_, "online_deployments",
                                          "Online deployment"};
  SqliteDocumentStore quotas_{writes_, readers_, "workspace_quotas", "Quota"};
  SqliteDocumentStore online_minute_stats_{writes_, readers_, "online_minute_stats",
                                           "Online deployment stats"};
  SqliteDocumentStore batch_endpoints_{writes_, readers_, "batch_endpoints", "Batch endpoint"};
  SqliteDocumentStore batch_deployments_{writes_, readers_, "batch_deployments",
                                         "Batch deployment"};
  // Writer-thread state: interned metric keys, next chunk sequence number.
  std::unordered_map<std::string, std::int64_t> key_ids_;
  std::int64_t next_seq_ = 1;
  // Writer-thread state: chunk sequence numbers unique across writers (NextChunkSeq).
  static constexpr std::int64_t kWriterSlots = 1024;
  std::int64_t writer_number_ = 0;
  std::int64_t last_tick_ = 0;
  std::int64_t NextChunkSeq();
  std::atomic<bool> closed_{false};
  // Audit records wait here and are written by one background task per group commit.
  std::mutex audit_mu_;
  std::vector<auth::AuditEntry> audit_pending_;  // guarded by audit_mu_
  bool audit_flush_queued_ = false;              // guarded by audit_mu_
};

}  // namespace mlws::store::sqlite
