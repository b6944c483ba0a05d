#include "store/sqlite/migrations.h"

#include <fmt/format.h>

#include <array>
#include <string>

#include "store/postgres/pg_sql.h"

namespace mlws::store::sqlite {
namespace {

// Migration 1: workspaces, experiments, runs, params, tags, metrics, datasets, traces.
//
// Metrics are stored as chunks: one row per (run, key, logged batch) holding the packed points
// (see metric_codec.h). Ingest then writes one row per key per request instead of one per point,
// which is what makes ~1M points/s durable ingest possible on SQLite. latest_metrics keeps the
// latest point per (run, key) for run listings, search filters and ordering.
constexpr const char* kMigration1 = R"sql(
CREATE TABLE workspaces (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  creation_time INTEGER NOT NULL
);
CREATE TABLE experiments (
  rowid INTEGER PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  exp_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  artifact_location TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL DEFAULT 'active',
  creation_time INTEGER NOT NULL,
  last_update_time INTEGER NOT NULL,
  UNIQUE (workspace_id, exp_id),
  UNIQUE (workspace_id, name)
);
CREATE TABLE experiment_tags (
  experiment_rowid INTEGER NOT NULL REFERENCES experiments(rowid) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (experiment_rowid, key)
) WITHOUT ROWID;
CREATE TABLE runs (
  rowid INTEGER PRIMARY KEY,
  run_uuid TEXT NOT NULL UNIQUE,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  experiment_rowid INTEGER NOT NULL REFERENCES experiments(rowid) ON DELETE CASCADE,
  name TEXT NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  start_time INTEGER NOT NULL,
  end_time INTEGER,
  artifact_uri TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL DEFAULT 'active',
  deleted_time INTEGER
);
CREATE INDEX runs_by_experiment ON runs (experiment_rowid, start_time DESC, run_uuid);
CREATE TABLE params (
  run_rowid INTEGER NOT NULL REFERENCES runs(rowid) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_rowid, key)
) WITHOUT ROWID;
CREATE INDEX params_by_key ON params (key, value);
CREATE TABLE tags (
  run_rowid INTEGER NOT NULL REFERENCES runs(rowid) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_rowid, key)
) WITHOUT ROWID;
CREATE INDEX tags_by_key ON tags (key, value);
CREATE TABLE metric_keys (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE
);
CREATE TABLE metric_chunks (
  run_rowid INTEGER NOT NULL REFERENCES runs(rowid) ON DELETE CASCADE,
  key_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  count INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (run_rowid, key_id, seq)
) WITHOUT ROWID;
CREATE TABLE latest_metrics (
  run_rowid INTEGER NOT NULL REFERENCES runs(rowid) ON DELETE CASCADE,
  key_id INTEGER NOT NULL,
  value REAL,
  is_nan INTEGER NOT NULL DEFAULT 0,
  timestamp INTEGER NOT NULL,
  step INTEGER NOT NULL,
  PRIMARY KEY (run_rowid, key_id)
) WITHOUT ROWID;
CREATE INDEX latest_metrics_by_value ON latest_metrics (key_id, value);
CREATE TABLE datasets (
  rowid INTEGER PRIMARY KEY,
  experiment_rowid INTEGER NOT NULL REFERENCES experiments(rowid) ON DELETE CASCADE,
  name TEXT NOT NULL,
  digest TEXT NOT NULL,
  source_type TEXT NOT NULL,
  source TEXT NOT NULL,
  schema TEXT NOT NULL DEFAULT '',
  profile TEXT NOT NULL DEFAULT '',
  UNIQUE (experiment_rowid, name, digest)
);
CREATE TABLE run_inputs (
  rowid INTEGER PRIMARY KEY,
  run_rowid INTEGER NOT NULL REFERENCES runs(rowid) ON DELETE CASCADE,
  dataset_rowid INTEGER NOT NULL REFERENCES datasets(rowid) ON DELETE CASCADE,
  UNIQUE (run_rowid, dataset_rowid)
);
CREATE TABLE input_tags (
  input_rowid INTEGER NOT NULL REFERENCES run_inputs(rowid) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (input_rowid, key)
) WITHOUT ROWID;
CREATE TABLE traces (
  request_id TEXT PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  experiment_rowid INTEGER NOT NULL REFERENCES experiments(rowid) ON DELETE CASCADE,
  timestamp_ms INTEGER NOT NULL,
  execution_time_ms INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL
);
CREATE INDEX traces_by_experiment ON traces (experiment_rowid, timestamp_ms DESC);
CREATE TABLE trace_tags (
  request_id TEXT NOT NULL REFERENCES traces(request_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (request_id, key)
) WITHOUT ROWID;
CREATE TABLE trace_request_metadata (
  request_id TEXT NOT NULL REFERENCES traces(request_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (request_id, key)
) WITHOUT ROWID;
)sql";

// Migration 2: identities, role assignments and the audit log (see docs/security.md).
// Passwords are argon2id-encoded; tokens are stored as SHA-256 of the secret (tokens are 256-bit
// random, so a fast hash is not brute-forceable) plus a short public prefix to name them.
constexpr const char* kMigration2 = R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL DEFAULT '',
  creation_time INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  secret_sha256 BLOB NOT NULL UNIQUE,
  creation_time INTEGER NOT NULL,
  expiry_time INTEGER,
  last_used_time INTEGER,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE role_assignments (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  workspace_id INTEGER REFERENCES workspaces(id) ON DELETE CASCADE,
  creation_time INTEGER NOT NULL,
  UNIQUE (user_id, role, workspace_id)
);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  user_name TEXT NOT NULL,
  remote_addr TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  workspace TEXT NOT NULL,
  action TEXT NOT NULL,
  status INTEGER NOT NULL
);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

// Migration 3: the secrets vault. Values are sealed by the server (XChaCha20-Poly1305 under a
// master key kept outside the database) before they reach this table.
constexpr const char* kMigration3 = R"sql(
CREATE TABLE secrets (
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  nonce BLOB NOT NULL,
  ciphertext BLOB NOT NULL,
  creation_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, name)
) WITHOUT ROWID;
)sql";

// Migration 4: groups. Role assignments may now name a group instead of a user; the table is
// rebuilt (SQLite cannot relax NOT NULL in place) keeping every existing row and id.
constexpr const char* kMigration4 = R"sql(
CREATE TABLE groups (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  creation_time INTEGER NOT NULL
);
CREATE TABLE group_members (
  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_by_user ON group_members (user_id);
CREATE TABLE role_assignments_v2 (
  id INTEGER PRIMARY KEY,
  user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
  group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  workspace_id INTEGER REFERENCES workspaces(id) ON DELETE CASCADE,
  creation_time INTEGER NOT NULL,
  CHECK ((user_id IS NULL) != (group_id IS NULL))
);
INSERT INTO role_assignments_v2 (id, user_id, group_id, role, workspace_id, creation_time)
  SELECT id, user_id, NULL, role, workspace_id, creation_time FROM role_assignments;
DROP TABLE role_assignments;
ALTER TABLE role_assignments_v2 RENAME TO role_assignments;
CREATE INDEX role_assignments_by_user ON role_assignments (user_id);
CREATE INDEX role_assignments_by_group ON role_assignments (group_id);
)sql";

// Migration 5: custom roles (allow/deny action patterns stored as JSON arrays).
constexpr const char* kMigration5 = R"sql(
CREATE TABLE custom_roles (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  allow_json TEXT NOT NULL,
  deny_json TEXT NOT NULL,
  creation_time INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Migration 6: the MLflow model registry. Version numbers are never reused: next_version only
// grows, even when versions are deleted.
constexpr const char* kMigration6 = R"sql(
CREATE TABLE registered_models (
  rowid INTEGER PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  creation_timestamp INTEGER NOT NULL,
  last_updated_timestamp INTEGER NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  next_version INTEGER NOT NULL DEFAULT 1,
  UNIQUE (workspace_id, name)
);
CREATE TABLE registered_model_tags (
  model_rowid INTEGER NOT NULL REFERENCES registered_models(rowid) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_rowid, key)
) WITHOUT ROWID;
CREATE TABLE model_versions (
  model_rowid INTEGER NOT NULL REFERENCES registered_models(rowid) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  creation_timestamp INTEGER NOT NULL,
  last_updated_timestamp INTEGER NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  current_stage TEXT NOT NULL DEFAULT 'None',
  description TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL,
  run_id TEXT NOT NULL DEFAULT '',
  run_link TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'READY',
  PRIMARY KEY (model_rowid, version)
) WITHOUT ROWID;
CREATE INDEX model_versions_by_run ON model_versions (run_id);
CREATE TABLE model_version_tags (
  model_rowid INTEGER NOT NULL,
  version INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_rowid, version, key),
  FOREIGN KEY (model_rowid, version) REFERENCES model_versions(model_rowid, version)
    ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE registered_model_aliases (
  model_rowid INTEGER NOT NULL,
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (model_rowid, alias),
  FOREIGN KEY (model_rowid, version) REFERENCES model_versions(model_rowid, version)
    ON DELETE CASCADE
) WITHOUT ROWID;
)sql";

// v7: versioned assets (models, data, environments, components), datastores, asset lineage.
constexpr const char* kMigration7 = R"sql(
CREATE TABLE assets (
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  kind INTEGER NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '{}',
  properties TEXT NOT NULL DEFAULT '{}',
  path TEXT NOT NULL DEFAULT '',
  spec TEXT NOT NULL DEFAULT '{}',
  content_hash TEXT NOT NULL DEFAULT '',
  source_run_id TEXT NOT NULL DEFAULT '',
  archived INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (workspace_id, kind, name, version)
) WITHOUT ROWID;
CREATE UNIQUE INDEX assets_by_seq ON assets (workspace_id, kind, name, seq);
CREATE INDEX assets_by_hash ON assets (workspace_id, content_hash) WHERE content_hash != '';
CREATE INDEX assets_by_run ON assets (workspace_id, source_run_id) WHERE source_run_id != '';
CREATE TABLE asset_inputs (
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  run_id TEXT NOT NULL,
  kind INTEGER NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  PRIMARY KEY (workspace_id, run_id, kind, name, version)
) WITHOUT ROWID;
CREATE INDEX asset_inputs_by_asset ON asset_inputs (workspace_id, kind, name, version);
CREATE TABLE datastores (
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  is_default INTEGER NOT NULL DEFAULT 0,
  spec TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (workspace_id, name)
) WITHOUT ROWID;
)sql";

// Migration 8: jobs and computes. A job's state (status, times, process ids) is updated in place;
// its run lives in the runs table. Computes are local pools of slots ("local" is built in and
// only stored once changed).
constexpr const char* kMigration8 = R"sql(
CREATE TABLE computes (
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  size TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  min_instances INTEGER NOT NULL,
  max_instances INTEGER NOT NULL,
  idle_time_before_scale_down INTEGER NOT NULL,
  price_per_node_hour REAL NOT NULL DEFAULT 0,
  spec_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, name)
) WITHOUT ROWID;
CREATE TABLE jobs (
  rowid INTEGER PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  display_name TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  experiment_id TEXT NOT NULL,
  experiment_name TEXT NOT NULL,
  run_id TEXT NOT NULL,
  compute TEXT NOT NULL,
  command TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  owner TEXT NOT NULL DEFAULT '',
  owner_id INTEGER NOT NULL DEFAULT 0,
  priority INTEGER NOT NULL DEFAULT 0,
  instance_count INTEGER NOT NULL DEFAULT 1,
  timeout_s INTEGER NOT NULL DEFAULT 0,
  price_per_node_hour REAL NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL DEFAULT 0,
  ended_at INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER,
  error TEXT NOT NULL DEFAULT '',
  archived INTEGER NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  job_dir TEXT NOT NULL,
  supervisor_pid INTEGER NOT NULL DEFAULT 0,
  supervisor_start INTEGER NOT NULL DEFAULT 0,
  process_pid INTEGER NOT NULL DEFAULT 0,
  token_id INTEGER NOT NULL DEFAULT 0,
  detail_json TEXT NOT NULL DEFAULT '{}',
  UNIQUE (workspace_id, name)
);
CREATE INDEX jobs_active ON jobs (status) WHERE status IN ('Queued', 'Running');
)sql";

// Migration 9: job sandbox and token scopes.
// * tokens.scope: '' = the user's full power; 'job:<workspace id>:<run id>' = a job's token,
//   limited to what a job needs in its workspace (see auth_service.h).
// * id_counters: workspace ids are never reused (SQLite reuses the highest rowid after a delete,
//   and caches keyed by workspace id must never serve a deleted workspace's entries to a new one).
constexpr const char* kMigration9 = R"sql(
ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT '';
CREATE TABLE id_counters (
  name TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO id_counters (name, last_id) SELECT 'workspaces', COALESCE(MAX(id), 0) FROM workspaces;
)sql";

// 10: MLflow 3 logged models (one document per model, see logged_model_store.h), the models
// runs consumed or produced, MLflow 3 (v3) traces with their assessments (one document per
// trace, see trace_v3_store.h; span data lives in the artifact store), registry webhooks and
// GenAI evaluation datasets (document_store.h).
constexpr const char* kMigration10 = R"sql(
CREATE TABLE logged_models (
  model_id TEXT PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  experiment_rowid INTEGER NOT NULL REFERENCES experiments(rowid) ON DELETE CASCADE,
  deleted INTEGER NOT NULL DEFAULT 0,
  creation_ms INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX logged_models_by_experiment ON logged_models (experiment_rowid, creation_ms);
CREATE TABLE run_model_links (
  run_rowid INTEGER NOT NULL REFERENCES runs(rowid) ON DELETE CASCADE,
  model_id TEXT NOT NULL REFERENCES logged_models(model_id) ON DELETE CASCADE,
  output INTEGER NOT NULL,
  step INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_rowid, model_id, output)
);
CREATE TABLE traces_v3 (
  trace_id TEXT PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  experiment_rowid INTEGER NOT NULL REFERENCES experiments(rowid) ON DELETE CASCADE,
  request_time_ms INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX traces_v3_by_experiment ON traces_v3 (experiment_rowid, request_time_ms);
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  creation_ms INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX webhooks_by_workspace ON webhooks (workspace_id, creation_ms);
CREATE TABLE eval_datasets (
  id TEXT PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  creation_ms INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX eval_datasets_by_workspace ON eval_datasets (workspace_id, creation_ms);
)sql";

// Migration 11: schedules (trigger + create_job as JSON, the claimed fire times) and the jobs
// each fire created.
constexpr const char* kMigration11 = R"sql(
CREATE TABLE schedules (
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  next_fire_ms INTEGER NOT NULL,
  last_fire_ms INTEGER NOT NULL DEFAULT 0,
  owner TEXT NOT NULL,
  owner_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, name)
);
CREATE INDEX schedules_due ON schedules (enabled, next_fire_ms);
CREATE TABLE schedule_fires (
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  schedule TEXT NOT NULL,
  fire_ms INTEGER NOT NULL,
  job_name TEXT NOT NULL,
  error TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, schedule, fire_ms)
);
)sql";

// Migration 12: online endpoints and deployments (serving::EndpointService), one JSON document
// each, the same columns as the other document tables (document_store.cc).
constexpr const char* kMigration12 = R"sql(
CREATE TABLE online_endpoints (
  id TEXT NOT NULL,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  creation_ms INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (workspace_id, id)
);
CREATE TABLE online_deployments (
  id TEXT NOT NULL,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  creation_ms INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (workspace_id, id)
);
)sql";

// Migration 13 (issue 17): each workspace's quota (docs/quotas.md), one JSON document (id
// "quota"), in the document-table shape (document_store.cc).
constexpr const char* kMigration13 = R"sql(
CREATE TABLE workspace_quotas (
  id TEXT NOT NULL,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  creation_ms INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (workspace_id, id)
);
)sql";

// Migration 14: batch endpoints and deployments (serving::BatchService), one JSON document
// each, the same columns as the other document tables (document_store.cc).
constexpr const char* kMigration14 = R"sql(
CREATE TABLE batch_endpoints (
  id TEXT NOT NULL,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  creation_ms INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (workspace_id, id)
);
CREATE TABLE batch_deployments (
  id TEXT NOT NULL,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  creation_ms INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (workspace_id, id)
);
)sql";

// Migration 15 (issue 16): the last hour of each online deployment's per-minute scoring stats (id
// "<endpoint>/<deployment>", the document serving::MinuteStats::ToJson), so the studio's charts
// survive a restart; the document-table shape (document_store.cc).
constexpr const char* kMigration15 = R"sql(
CREATE TABLE online_minute_stats (
  id TEXT NOT NULL,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  creation_ms INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (workspace_id, id)
);
)sql";

// Migration 16 (issue 13): several servers on one database (docs/scale-out.md). `servers` has
// one row per running server (id "<host>:<pid>:<start ms>", heartbeats); `job_leases` says
// which server owns each queued or running job until when (store/lease_store.h);
// `store_counters` hands each store writer a number (the low bits of its metric chunk
// sequence numbers, so two writers never make the same one).
constexpr const char* kMigration16 = R"sql(
CREATE TABLE servers (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  url TEXT NOT NULL DEFAULT ''
);
CREATE TABLE job_leases (
  workspace_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  server_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, name)
);
CREATE INDEX job_leases_by_server ON job_leases (server_id);
CREATE INDEX job_leases_by_expiry ON job_leases (expires_at);
CREATE TABLE store_counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO store_counters (name, value) VALUES ('writer', 0);
)sql";

// Several servers: a cancel asked of a server that does not own the job, for its owner (or the
// server that takes the job over) to carry out (cancel_request_store.cc).
constexpr const char* kMigration17 = R"sql(
CREATE TABLE job_cancel_requests (
  workspace_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  requested_by TEXT NOT NULL,
  PRIMARY KEY (workspace_id, name)
);
)sql";

// Migration 18 (issue 13): which server runs each online deployment and compute instance, until
// when (store/lease_store.h); kind is "deployment" or "compute_instance".
constexpr const char* kMigration18 = R"sql(
CREATE TABLE resource_leases (
  kind TEXT NOT NULL,
  workspace_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  server_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (kind, workspace_id, name)
);
CREATE INDEX resource_leases_by_server ON resource_leases (server_id);
)sql";

// Migration 19 (issue 13): a start/stop/restart/delete of a compute instance asked through a
// server that does not run it waits here for the server holding its lease (id: the instance's
// name; document store columns, like migration 10's).
constexpr const char* kMigration19 = R"sql(
CREATE TABLE compute_instance_requests (
  id TEXT NOT NULL,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  creation_ms INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (workspace_id, id)
);
)sql";

constexpr std::array<const char*, 19> kMigrations = {
    kMigration1,  kMigration2,  kMigration3,  kMigration4,  kMigration5,
    kMigration6,  kMigration7,  kMigration8,  kMigration9,  kMigration10,
    kMigration11, kMigration12, kMigration13, kMigration14, kMigration15,
    kMigration16, kMigration17, kMigration18, kMigration19};

}  // namespace

StatusOr<int> ApplyMigrations(Db& db) {
  const bool pg = db.dialect() == Dialect::kPostgres;
  // Servers starting together on one PostgreSQL database migrate one at a time (the session
  // lock ends with the migration connection).
  if (pg) RETURN_IF_ERROR(db.Exec("SELECT pg_advisory_lock(1835825011)"));
  RETURN_IF_ERROR(db.Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
  int current = 0;
  {
    ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) current = static_cast<int>(s.Int(0));
  }
  if (current > static_cast<int>(kMigrations.size())) {
    return Internal(fmt::format(
        "database schema version {} is newer than this mlws supports ({}); upgrade mlws", current,
        kMigrations.size()));
  }
  // On PostgreSQL (transactional DDL) the pending migrations commit together: one commit instead
  // of one per migration, most of a first start's time there.
  if (pg) RETURN_IF_ERROR(db.Exec("BEGIN"));
  for (int v = current + 1; v <= static_cast<int>(kMigrations.size()); ++v) {
    if (!pg) RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    // PostgreSQL runs the same numbered list, translated (store/postgres/pg_sql.h).
    Status st = db.Exec(pg ? postgres::TranslateDdl(kMigrations[v - 1]) : kMigrations[v - 1]);
    if (st.ok()) st = db.Exec(fmt::format("INSERT INTO schema_version VALUES ({})", v));
    if (!st.ok()) {
      (void)db.Exec("ROLLBACK");
      return Status(st.code(), fmt::format("migration {} failed: {}", v, st.message()));
    }
    if (!pg) RETURN_IF_ERROR(db.Exec("COMMIT"));
  }
  if (pg) RETURN_IF_ERROR(db.Exec("COMMIT"));
  return static_cast<int>(kMigrations.size());
}

}  // namespace mlws::store::sqlite
