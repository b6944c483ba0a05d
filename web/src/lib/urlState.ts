// The studio keeps view state in the URL so that reload, deep links and the back button all work.
// These functions translate between URLSearchParams and typed state. Pure, unit-tested.
import { KeyRef, parseKeyRef, refToString } from './filter';

export interface RunsViewState {
  /** Filter text as typed (free text or MLflow filter grammar). */
  q: string;
  /** Sort column (e.g. attributes.start_time, metrics.loss) and direction. */
  sort: KeyRef;
  desc: boolean;
  /** Extra columns: params, metrics, tags chosen by the user. */
  cols: KeyRef[];
}

export const DEFAULT_SORT: KeyRef = { entity: 'attributes', key: 'start_time' };

/** Columns are stored as `metrics.loss|params.lr` — `|` never appears unquoted in a key ref. */
export function parseRunsView(sp: URLSearchParams): RunsViewState {
  const sort = parseKeyRef(sp.get('sort') ?? '') ?? DEFAULT_SORT;
  const cols = splitOutsideBackticks(sp.get('cols') ?? '', '|')
    .map((s) => parseKeyRef(s))
    .filter((r): r is KeyRef => r !== null);
  const descParam = sp.get('desc');
  return {
    q: sp.get('q') ?? '',
    sort,
    desc: descParam === null ? true : descParam === '1',
    cols,
  };
}

/** Splits on `sep`, except inside back-quoted keys (where `` is an escaped back-quote). */
export function splitOutsideBackticks(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '`') quoted = !quoted;
    if (ch === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.filter((x) => x.length > 0);
}

/** Only non-default values are written, so a plain page URL stays short. */
export function runsViewToParams(v: RunsViewState): URLSearchParams {
  const sp = new URLSearchParams();
  if (v.q) sp.set('q', v.q);
  const sortStr = refToString(v.sort);
  if (sortStr !== refToString(DEFAULT_SORT)) sp.set('sort', sortStr);
  if (!v.desc) sp.set('desc', '0');
  if (v.cols.length) sp.set('cols', v.cols.map(refToString).join('|'));
  return sp;
}

/** `?runs=a,b,c` → ["a","b","c"], de-duplicated, at most `max`. */
export function parseRunIds(value: string | null, max = 100): string[] {
  if (!value) return [];
  const seen = new Set<string>();
  for (const id of value.split(',')) {
    const t = id.trim();
    if (t && /^[A-Za-z0-9_-]+$/.test(t)) seen.add(t);
    if (seen.size >= max) break;
  }
  return Array.from(seen);
}

export type XAxis = 'step' | 'time' | 'relative';

export interface ChartViewState {
  x: XAxis;
  /** Smoothing weight 0..0.99. */
  smooth: number;
  logY: boolean;
}

export function parseChartView(sp: URLSearchParams): ChartViewState {
  const x = sp.get('x');
  const s = Number(sp.get('smooth') ?? '0');
  return {
    x: x === 'time' || x === 'relative' ? x : 'step',
    smooth: Number.isFinite(s) ? Math.min(0.99, Math.max(0, s)) : 0,
    logY: sp.get('log') === '1',
  };
}

/** Writes chart state into existing params (keeping others such as `runs` or `tab`). */
export function withChartView(sp: URLSearchParams, v: ChartViewState): URLSearchParams {
  const out = new URLSearchParams(sp);
  if (v.x === 'step') out.delete('x');
  else out.set('x', v.x);
  if (v.smooth > 0) out.set('smooth', String(v.smooth));
  else out.delete('smooth');
  if (v.logY) out.set('log', '1');
  else out.delete('log');
  return out;
}

/** Path builders: the one place that knows the studio's URL scheme. */
export const paths = {
  experiments: (ws: string) => `/workspaces/${enc(ws)}/experiments`,
  experiment: (ws: string, id: string, tab?: string) =>
    `/workspaces/${enc(ws)}/experiments/${enc(id)}` + (tab && tab !== 'runs' ? `?tab=${enc(tab)}` : ''),
  loggedModel: (ws: string, modelId: string) => `/workspaces/${enc(ws)}/logged-models/${enc(modelId)}`,
  trace: (ws: string, traceId: string) => `/workspaces/${enc(ws)}/traces/${enc(traceId)}`,
  run: (ws: string, runId: string, tab?: string) =>
    `/workspaces/${enc(ws)}/runs/${enc(runId)}` + (tab && tab !== 'overview' ? `?tab=${enc(tab)}` : ''),
  compare: (ws: string, runIds: string[]) => `/workspaces/${enc(ws)}/compare?runs=${runIds.map(enc).join(',')}`,
  models: (ws: string) => `/workspaces/${enc(ws)}/models`,
  model: (ws: string, name: string) => `/workspaces/${enc(ws)}/models/${enc(name)}`,
  assets: (ws: string, kind: string) => `/workspaces/${enc(ws)}/${enc(kind)}`,
  asset: (ws: string, kind: string, name: string, version?: string) =>
    `/workspaces/${enc(ws)}/${enc(kind)}/${enc(name)}` + (version ? `?version=${enc(version)}` : ''),
  datastores: (ws: string) => `/workspaces/${enc(ws)}/datastores`,
  jobs: (ws: string) => `/workspaces/${enc(ws)}/jobs`,
  job: (ws: string, name: string) => `/workspaces/${enc(ws)}/jobs/${enc(name)}`,
  compute: (ws: string) => `/workspaces/${enc(ws)}/compute`,
  endpoints: (ws: string) => `/workspaces/${enc(ws)}/endpoints`,
  endpoint: (ws: string, name: string) => `/workspaces/${enc(ws)}/endpoints/${enc(name)}`,
};

function enc(s: string): string {
  return encodeURIComponent(s);
}
