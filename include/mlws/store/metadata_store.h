// MetadataStore: the workspace's database, one object per backend, exposing one interface per
// resource. Chosen by URI through OpenMetadataStore (sqlite:///path now; postgresql:// later).
//
// Opening does NOT migrate: the caller runs Migrate() explicitly at start, so schema changes
// happen at a visible point, never as a side effect of a constructor.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "mlws/common/status.h"
#include "mlws/store/asset_store.h"
#include "mlws/store/auth_store.h"
#include "mlws/store/document_store.h"
#include "mlws/store/experiment_store.h"
#include "mlws/store/job_store.h"
#include "mlws/store/lease_store.h"
#include "mlws/store/logged_model_store.h"
#include "mlws/store/registry_store.h"
#include "mlws/store/run_store.h"
#include "mlws/store/schedule_store.h"
#include "mlws/store/secret_store.h"
#include "mlws/store/trace_store.h"
#include "mlws/store/trace_v3_store.h"
#include "mlws/store/transaction.h"
#include "mlws/store/workspace_store.h"

namespace mlws::store {

// The store's write queue, for backpressure and /metrics.
struct WriteQueueStats {
  std::size_t depth = 0;       // writes waiting to be committed now
  std::size_t limit = 0;       // 0 = unbounded
  std::uint64_t rejected = 0;  // writes refused with TemporarilyUnavailable at the limit
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;
  // Applies the numbered migrations not yet applied; returns the schema version reached.
  virtual StatusOr<int> Migrate() = 0;
  // Flushes pending writes and stops the writer; further writes fail. Idempotent.
  virtual void Close() = 0;

  virtual WorkspaceStore& workspaces() = 0;
  virtual ExperimentStore& experiments() = 0;
  virtual RunStore& runs() = 0;
  virtual TraceStore& traces() = 0;
  virtual AuthStore& auth() = 0;
  virtual SecretStore& secrets() = 0;
  virtual RegistryStore& registry() = 0;
  virtual AssetStore& assets() = 0;
  virtual JobStore& jobs() = 0;
  // MLflow 3: logged models, v3 traces, registry webhooks, GenAI evaluation datasets.
  virtual LoggedModelStore& logged_models() = 0;
  virtual TraceV3Store& traces_v3() = 0;
  virtual DocumentStore& webhooks() = 0;
  virtual DocumentStore& eval_datasets() = 0;
  // Online endpoints (id: the name) and deployments (id: "<endpoint>/<deployment>"); the
  // documents are serving::OnlineEndpoint / OnlineDeployment in their stored JSON form.
  virtual DocumentStore& online_endpoints() = 0;
  virtual DocumentStore& online_deployments() = 0;
  // The last hour of each online deployment's per-minute stats (id "<endpoint>/<deployment>",
  // the document serving::MinuteStats::ToJson writes).
  virtual DocumentStore& online_minute_stats() = 0;
  // Batch endpoints (id: the name) and deployments (id: "<endpoint>/<deployment>"): the
  // documents are serving::BatchEndpoint / BatchDeployment in their stored JSON form.
  virtual DocumentStore& batch_endpoints() = 0;
  virtual DocumentStore& batch_deployments() = 0;

  // Backpressure: at most `limit` writes wait to be committed; past that a write fails at once
  // with TemporarilyUnavailable (0 = unbounded). Backends without a write queue ignore it.
  virtual void SetWriteQueueLimit(std::size_t /*limit*/) {}
  virtual WriteQueueStats WriteStats() { return {}; }
  // Schedules and the jobs they created (schedule_store.h).
  virtual ScheduleStore& schedules() = 0;
  // Workspace quotas (id "quota"; the document is quotas::QuotaService's, docs/quotas.md).
  virtual DocumentStore& quotas() = 0;
  // Servers sharing the database and the job leases that keep a job on one of them
  // (lease_store.h).
  virtual LeaseStore& leases() = 0;

  // Runs `fn`'s reads and writes as one atomic read-modify-write inside one writer transaction,
  // the rows it locks kept from every other writer, on this server and on others sharing the
  // database, until commit; returns fn's Status (an error rolls back all of fn's writes).
  // transaction.h has the guarantee per backend and what `fn` may do.
  virtual Status Atomically(const TxFn& fn) = 0;
};

// Opens the store named by `uri`. Supported: "sqlite:///abs/path.db", "sqlite://rel/path.db".
// Unknown schemes give InvalidArgument naming the supported ones.
StatusOr<std::unique_ptr<MetadataStore>> OpenMetadataStore(const std::string& uri);

}  // namespace mlws::store
