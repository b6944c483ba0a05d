// SqliteStore: the SQL MetadataStore, on one SQLite file (WAL mode) or on a PostgreSQL database
// (the same code over PgDb connections, see store/postgres/pg_db.h; the name is historical).
//
// Writes go through the WriteQueue (group commit, one writer thread); reads use a pool of
// read-only connections, so reads never wait for writes. Both live in one DbContext
// (db_context.h) that SqliteStore owns; SqliteStore is only the composition: one store class per
// resource interface over that context (tracking_stores.h, auth_stores.h, asset_stores.h,
// job_store.h, mlflow3_stores.h, schedule_store.h, lease_store.h), each returned by its accessor.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "mlws/store/compute_instance_requests.h"
#include "mlws/store/metadata_store.h"
#include "mlws/store/write_groups.h"
#include "store/sqlite/asset_stores.h"
#include "store/sqlite/auth_stores.h"
#include "store/sqlite/db.h"
#include "store/sqlite/db_context.h"
#include "store/sqlite/job_store.h"
#include "store/sqlite/lease_store.h"
#include "store/sqlite/mlflow3_stores.h"
#include "store/sqlite/reader_pool.h"
#include "store/sqlite/schedule_store.h"
#include "store/sqlite/tracking_stores.h"
#include "store/sqlite/write_queue.h"

namespace mlws::store::sqlite {

class SqliteStore final : public MetadataStore,
                          public ComputeInstanceRequestStore,
                          public WriteGroupSource {
 public:
  // Every connection's file I/O goes through `env` (env_vfs.h; nullptr = no shim): tests pass a
  // FaultEnv to fail the database's fsyncs or fill its disk.
  static StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path, Env* env = nullptr);
  // The store over connections `connect` opens (the first one is the writer's).
  static StatusOr<std::unique_ptr<SqliteStore>> OpenWith(Connector connect);
  ~SqliteStore() override;

  // MetadataStore
  StatusOr<int> Migrate() override;
  void Close() override;
  WorkspaceStore& workspaces() override { return workspaces_; }
  ExperimentStore& experiments() override { return experiments_; }
  RunStore& runs() override { return runs_; }
  TraceStore& traces() override { return traces_; }
  AuthStore& auth() override { return auth_; }
  SecretStore& secrets() override { return secrets_; }
  RegistryStore& registry() override { return registry_; }
  AssetStore& assets() override { return assets_; }
  JobStore& jobs() override { return jobs_; }
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
  // Migration 19 (compute_instance_requests.h).
  DocumentStore& compute_instance_requests() override { return compute_instance_requests_; }
  void SetWriteQueueLimit(std::size_t limit) override { writes_.SetLimit(limit); }
  WriteQueueStats WriteStats() override {
    WriteQueue::Stats s = writes_.GetStats();
    return WriteQueueStats{s.depth, s.limit, s.rejected};
  }
  WriteGroupStats WriteGroups() override { return writes_.GetStats().groups; }
  ScheduleStore& schedules() override { return schedules_; }
  LeaseStore& leases() override { return leases_; }
  // One write task: `fn` runs on the writer's connection inside its transaction (sql_tx.h).
  Status Atomically(const TxFn& fn) override;

 private:
  SqliteStore(Connector connect, std::unique_ptr<Db> writer);

  // Declared first: every store below holds a reference into it.
  DbContext ctx_;
  WriteQueue& writes_ = ctx_.writes();
  ReaderPool& readers_ = ctx_.readers();
  SqliteWorkspaceStore workspaces_{ctx_};
  SqliteExperimentStore experiments_{ctx_};
  SqliteRunStore runs_{ctx_};
  SqliteTraceStore traces_{ctx_};
  SqliteAuthStore auth_{ctx_};
  SqliteSecretStore secrets_{ctx_};
  SqliteRegistryStore registry_{ctx_};
  SqliteAssetStore assets_{ctx_};
  SqliteLoggedModelStore logged_models_{writes_, readers_};
  SqliteTraceV3Store traces_v3_{writes_, readers_};
  SqliteDocumentStore webhooks_{writes_, readers_, "webhooks", "Webhook"};
  SqliteDocumentStore eval_datasets_{writes_, readers_, "eval_datasets", "Evaluation dataset"};
  SqliteScheduleStore schedules_{writes_, readers_};
  SqliteLeaseStore leases_{writes_, readers_};
  SqliteJobStore jobs_{ctx_, leases_};
  SqliteDocumentStore online_endpoints_{writes_, readers_, "online_endpoints", "Online endpoint"};
  SqliteDocumentStore online_deployments_{writes_, readers_, "online_deployments",
                                          "Online deployment"};
  SqliteDocumentStore quotas_{writes_, readers_, "workspace_quotas", "Quota"};
  SqliteDocumentStore online_minute_stats_{writes_, readers_, "online_minute_stats",
                                           "Online deployment stats"};
  SqliteDocumentStore batch_endpoints_{writes_, readers_, "batch_endpoints", "Batch endpoint"};
  SqliteDocumentStore batch_deployments_{writes_, readers_, "batch_deployments",
                                         "Batch deployment"};
  SqliteDocumentStore compute_instance_requests_{writes_, readers_, "compute_instance_requests",
                                                 "Compute instance request"};
  std::atomic<bool> closed_{false};
};

}  // namespace mlws::store::sqlite
