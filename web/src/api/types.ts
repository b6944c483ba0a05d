// MLflow wire types (the subset the studio reads) and mlws asset/job/compute types.
import type { components } from './openapi.gen';

export interface KV {
  key: string;
  value: string;
}
export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  run_id?: string;
}
export interface RunInfo {
  run_id: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status: string;
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage?: string;
}
export interface DatasetInput {
  dataset: { name: string; digest: string; source_type: string; source: string; schema?: string; profile?: string };
  tags?: KV[];
}
export interface Run {
  info: RunInfo;
  data: { metrics?: Metric[]; params?: KV[]; tags?: KV[] };
  inputs?: { dataset_inputs?: DatasetInput[]; model_inputs?: unknown[] };
  outputs?: unknown;
}
export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
  creation_time?: number;
  last_update_time?: number;
  tags?: KV[];
}
export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}
export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  status?: string;
  aliases?: string[];
  tags?: KV[];
}
export interface RegisteredModel {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  latest_versions?: ModelVersion[];
  aliases?: { alias: string; version: string }[];
  tags?: KV[];
}
// mlws API (/api/v1/...): generated from the served /api/v1/openapi.json (openapi.gen.ts,
// `npm run gen:api`), so they are what the server renders.
type Schemas = components['schemas'];
export type Workspace = Schemas['Workspace'];
export type WhoAmI = Schemas['WhoAmI'];
export type Asset = Schemas['Asset'];
export type RunSummary = Schemas['RunRef'];
export type Lineage = Schemas['AssetLineage'];
export type Datastore = Schemas['Datastore'];
export type Job = Schemas['Job'];
export type JobLogChunk = Schemas['JobLogs'];
export type Compute = Schemas['Compute'];
export type Cost = Schemas['Cost'];
export type OnlineEndpoint = Schemas['OnlineEndpoint'];
export type OnlineDeployment = Schemas['OnlineDeployment'];
export type EndpointStats = Schemas['OnlineEndpointStats'];

// MLflow 3 logged models (/api/2.0/mlflow/logged-models/...).
export interface LoggedModelMetric extends Metric {
  model_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
}
export interface LoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    model_type?: string;
    source_run_id?: string;
    status?: string;
    status_message?: string;
    creation_timestamp_ms?: number;
    last_updated_timestamp_ms?: number;
    artifact_uri?: string;
    tags?: KV[];
  };
  data?: { params?: KV[]; metrics?: LoggedModelMetric[] };
}

// MLflow 3 traces (/api/3.0/mlflow/traces/...) and assessments.
export interface AssessmentSource {
  source_type?: string;
  source_id?: string;
}
export interface Assessment {
  assessment_id: string;
  assessment_name: string;
  trace_id?: string;
  span_id?: string;
  source?: AssessmentSource;
  create_time?: string;
  last_update_time?: string;
  feedback?: { value?: unknown; error?: { error_code?: string; error_message?: string } };
  expectation?: { value?: unknown; serialized_value?: { serialization_format?: string; value?: string } };
  rationale?: string;
  metadata?: Record<string, string>;
  overrides?: string;
  valid?: boolean;
}
export interface TraceInfoV3 {
  trace_id: string;
  client_request_id?: string;
  trace_location?: { type?: string; mlflow_experiment?: { experiment_id: string } };
  request_preview?: string;
  response_preview?: string;
  request_time?: string;
  execution_duration?: string;
  state?: string;
  trace_metadata?: Record<string, string>;
  assessments?: Assessment[];
  tags?: Record<string, string>;
}
/** MLflow 2.x trace info (GET /api/2.0/mlflow/traces). */
export interface TraceInfoV2 {
  request_id: string;
  experiment_id: string;
  timestamp_ms?: number;
  execution_time_ms?: number;
  status?: string;
  request_metadata?: KV[];
  tags?: KV[];
}
