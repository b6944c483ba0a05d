// Typed calls to the workspaced MLflow REST API (/workspaces/<ws>/api/2.0/mlflow/...) and the
// mlws API (/api/v1/...).
import { getJson, postJson, qs, request } from './client';
import type {
  Asset, Compute, Cost, Datastore, EndpointStats, Experiment, FileInfo, Job, JobLogChunk, Lineage, LoggedModel, Metric,
  ModelVersion, OnlineDeployment, OnlineEndpoint, RegisteredModel, Run, TraceInfoV2, TraceInfoV3, WhoAmI, Workspace,
} from './types';

const w = (ws: string) => `/workspaces/${encodeURIComponent(ws)}`;
const ml = (ws: string) => `${w(ws)}/api/2.0/mlflow`;
const ml3 = (ws: string) => `${w(ws)}/api/3.0/mlflow`;
const proxied = (ws: string) => `${w(ws)}/api/2.0/mlflow-artifacts/artifacts`;
const v1 = (ws: string) => `/api/v1/workspaces/${encodeURIComponent(ws)}`;

export const api = {
  workspaces: () => getJson<{ workspaces: Workspace[] }>('/api/v1/workspaces').then((r) => r.workspaces ?? []),
  whoami: (ws: string) => getJson<WhoAmI>(`/api/v1/whoami${qs({ workspace: ws })}`),

  searchExperiments: (ws: string, signal?: AbortSignal, pageToken?: string) =>
    postJson<{ experiments?: Experiment[]; next_page_token?: string }>(
      `${ml(ws)}/experiments/search`,
      { max_results: 500, order_by: ['last_update_time DESC'], page_token: pageToken },
      signal,
    ).then((r) => ({ experiments: r.experiments ?? [], next: r.next_page_token || undefined })),
  getExperiment: (ws: string, id: string) =>
    getJson<{ experiment: Experiment }>(`${ml(ws)}/experiments/get${qs({ experiment_id: id })}`).then((r) => r.experiment),
  createExperiment: (ws: string, name: string) => postJson<{ experiment_id: string }>(`${ml(ws)}/experiments/create`, { name }),

  searchRuns: (
    ws: string,
    body: { experiment_ids: string[]; filter?: string; order_by?: string[]; max_results: number; page_token?: string },
    signal?: AbortSignal,
  ) => postJson<{ runs?: Run[]; next_page_token?: string }>(`${ml(ws)}/runs/search`, body, signal),
  getRun: (ws: string, runId: string, signal?: AbortSignal) =>
    getJson<{ run: Run }>(`${ml(ws)}/runs/get${qs({ run_id: runId })}`, signal).then((r) => r.run),
  deleteRun: (ws: string, runId: string) => postJson(`${ml(ws)}/runs/delete`, { run_id: runId }),

  /** Sampled history of one metric for up to 100 runs (server caps max_results at 2500 per run). */
  bulkHistory: (ws: string, runIds: string[], key: string, maxResults: number, signal?: AbortSignal) =>
    getJson<{ metrics?: Metric[] }>(
      `${ml(ws)}/metrics/get-history-bulk-interval${qs({ run_ids: runIds, metric_key: key, max_results: maxResults })}`,
      signal,
    ).then((r) => r.metrics ?? []),

  listArtifacts: (ws: string, runId: string, path?: string) =>
    getJson<{ files?: FileInfo[]; root_uri?: string }>(`${ml(ws)}/artifacts/list${qs({ run_id: runId, path })}`).then((r) => r.files ?? []),
  artifactUrl: (ws: string, runId: string, path: string) => `${w(ws)}/get-artifact${qs({ run_id: runId, path })}`,
  /** Fetches an artifact with the saved credentials (an <img src> could not send them). */
  fetchArtifact: (ws: string, runId: string, path: string) => request('GET', api.artifactUrl(ws, runId, path)),

  searchModels: (ws: string, filter?: string) =>
    getJson<{ registered_models?: RegisteredModel[] }>(`${ml(ws)}/registered-models/search${qs({ filter, max_results: 1000 })}`).then(
      (r) => r.registered_models ?? [],
    ),
  getModel: (ws: string, name: string) =>
    getJson<{ registered_model: RegisteredModel }>(`${ml(ws)}/registered-models/get${qs({ name })}`).then((r) => r.registered_model),
  searchVersions: (ws: string, name: string) =>
    getJson<{ model_versions?: ModelVersion[] }>(
      `${ml(ws)}/model-versions/search${qs({ filter: `name = '${name.replace(/'/g, "\\'")}'`, max_results: 1000 })}`,
    ).then((r) => r.model_versions ?? []),

  searchVersionsByRun: (ws: string, runId: string) =>
    getJson<{ model_versions?: ModelVersion[] }>(`${ml(ws)}/model-versions/search${qs({ filter: `run_id = '${runId}'`, max_results: 1000 })}`).then(
      (r) => r.model_versions ?? [],
    ),

  // MLflow 3 logged models and traces
  searchLoggedModels: (ws: string, experimentId: string, pageToken?: string, signal?: AbortSignal) =>
    postJson<{ models?: LoggedModel[]; next_page_token?: string }>(
      `${ml(ws)}/logged-models/search`,
      { experiment_ids: [experimentId], max_results: 100, page_token: pageToken },
      signal,
    ).then((r) => ({ items: r.models ?? [], next: r.next_page_token || undefined })),
  getLoggedModel: (ws: string, modelId: string) =>
    getJson<{ model: LoggedModel }>(`${ml(ws)}/logged-models/${encodeURIComponent(modelId)}`).then((r) => r.model),
  searchTracesV3: (ws: string, experimentId: string, pageToken?: string, signal?: AbortSignal) =>
    postJson<{ traces?: TraceInfoV3[]; next_page_token?: string }>(
      `${ml3(ws)}/traces/search`,
      { locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }], max_results: 100, page_token: pageToken },
      signal,
    ).then((r) => ({ items: r.traces ?? [], next: r.next_page_token || undefined })),
  searchTracesV2: (ws: string, experimentId: string, pageToken?: string, signal?: AbortSignal) =>
    getJson<{ traces?: TraceInfoV2[]; next_page_token?: string }>(
      `${ml(ws)}/traces${qs({ experiment_ids: [experimentId], max_results: 100, page_token: pageToken })}`,
      signal,
    ).then((r) => ({ items: r.traces ?? [], next: r.next_page_token || undefined })),
  getTraceV3: (ws: string, traceId: string) =>
    getJson<{ trace: { trace_info: TraceInfoV3 } }>(`${ml3(ws)}/traces/${encodeURIComponent(traceId)}`).then((r) => r.trace.trace_info),
  getTraceV2: (ws: string, requestId: string) =>
    getJson<{ trace_info: TraceInfoV2 }>(`${ml(ws)}/traces/${encodeURIComponent(requestId)}/info`).then((r) => r.trace_info),
  /** Files under `root` (a path below mlflow-artifacts:/), with paths relative to `root`. */
  listProxied: (ws: string, root: string, path?: string) => {
    const dir = path ? `${root}/${path}` : root;
    return getJson<{ files?: FileInfo[] }>(`${proxied(ws)}${qs({ path: dir })}`).then((r) =>
      (r.files ?? []).map((f) => {
        const name = f.path.split('/').pop() ?? f.path;
        return { ...f, path: path ? `${path}/${name}` : name };
      }),
    );
  },
  fetchProxied: (ws: string, path: string, signal?: AbortSignal) =>
    request('GET', `${proxied(ws)}/${path.split('/').map(encodeURIComponent).join('/')}`, undefined, signal),

  // mlws asset / job / compute APIs
  assets: (ws: string, kind: string, opts: { all_versions?: boolean; include_archived?: boolean } = {}) =>
    getJson<{ value: Asset[] }>(`${v1(ws)}/${encodeURIComponent(kind)}${qs(opts)}`).then((r) => r.value ?? []),
  assetVersions: (ws: string, kind: string, name: string) =>
    getJson<{ value: Asset[] }>(`${v1(ws)}/${encodeURIComponent(kind)}/${encodeURIComponent(name)}/versions`).then((r) => r.value ?? []),
  assetLineage: (ws: string, kind: string, name: string, version: string) =>
    getJson<Lineage>(`${v1(ws)}/${encodeURIComponent(kind)}/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/lineage`),
  datastores: (ws: string) => getJson<{ value: Datastore[] }>(`${v1(ws)}/datastores`).then((r) => r.value ?? []),
  datastoreFiles: (ws: string, ds: string, path: string) =>
    getJson<{ files: FileInfo[] }>(`${v1(ws)}/datastores/${encodeURIComponent(ds)}/files${qs({ path })}`).then((r) => r.files ?? []),
  fetchDatastoreFile: (ws: string, ds: string, path: string) =>
    request('GET', `${v1(ws)}/datastores/${encodeURIComponent(ds)}/download/${path.split('/').map(encodeURIComponent).join('/')}`),
  jobs: (ws: string) => getJson<{ value: Job[] }>(`${v1(ws)}/jobs`).then((r) => r.value ?? []),
  job: (ws: string, name: string) => getJson<Job>(`${v1(ws)}/jobs/${encodeURIComponent(name)}`),
  jobLogs: (ws: string, name: string, offset: number, signal?: AbortSignal) =>
    getJson<JobLogChunk>(`${v1(ws)}/jobs/${encodeURIComponent(name)}/logs${qs({ offset })}`, signal),
  cancelJob: (ws: string, name: string) => postJson(`${v1(ws)}/jobs/${encodeURIComponent(name)}/cancel`, {}),
  computes: (ws: string) => getJson<{ value: Compute[] }>(`${v1(ws)}/computes`).then((r) => r.value ?? []),
  cost: (ws: string) => getJson<Cost>(`${v1(ws)}/cost`),

  // online endpoints (docs/endpoints.md)
  endpoints: (ws: string) => getJson<{ value: OnlineEndpoint[] }>(`${v1(ws)}/online-endpoints`).then((r) => r.value ?? []),
  endpoint: (ws: string, name: string) => getJson<OnlineEndpoint>(`${v1(ws)}/online-endpoints/${encodeURIComponent(name)}`),
  /** PATCH: only the fields given change (the server validates the whole split). */
  updateEndpoint: (ws: string, name: string, patch: { traffic?: Record<string, number>; mirror_traffic?: Record<string, number> }) =>
    request('PATCH', `${v1(ws)}/online-endpoints/${encodeURIComponent(name)}`, patch).then((r) => r.json() as Promise<OnlineEndpoint>),
  deployments: (ws: string, endpoint: string) =>
    getJson<{ value: OnlineDeployment[] }>(`${v1(ws)}/online-endpoints/${encodeURIComponent(endpoint)}/deployments`).then((r) => r.value ?? []),
  deploymentLogs: (ws: string, endpoint: string, name: string, lines: number, signal?: AbortSignal) =>
    getJson<{ logs: string }>(
      `${v1(ws)}/online-endpoints/${encodeURIComponent(endpoint)}/deployments/${encodeURIComponent(name)}/logs${qs({ lines })}`,
      signal,
    ).then((r) => r.logs),
  endpointStats: (ws: string, name: string, minutes = 60, signal?: AbortSignal) =>
    getJson<EndpointStats>(`${v1(ws)}/online-endpoints/${encodeURIComponent(name)}/stats${qs({ minutes })}`, signal),
};
