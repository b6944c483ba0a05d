// Run helpers: flat rows for tables, key discovery for the column picker, param diffs for compare.
import type { Run } from '../api/types';
import type { KeyRef } from './filter';

export interface RunRow {
  run: Run;
  id: string;
  name: string;
  params: Record<string, string>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
}

export function toRow(run: Run): RunRow {
  const params: Record<string, string> = {};
  const metrics: Record<string, number> = {};
  const tags: Record<string, string> = {};
  for (const p of run.data?.params ?? []) params[p.key] = p.value;
  for (const m of run.data?.metrics ?? []) metrics[m.key] = m.value;
  for (const t of run.data?.tags ?? []) tags[t.key] = t.value;
  const name = run.info.run_name || tags['mlflow.runName'] || run.info.run_id;
  return { run, id: run.info.run_id, name, params, metrics, tags };
}

export function cellValue(row: RunRow, ref: KeyRef): string | number | undefined {
  if (ref.entity === 'metrics') return row.metrics[ref.key];
  if (ref.entity === 'params') return row.params[ref.key];
  if (ref.entity === 'tags') return row.tags[ref.key];
  return (row.run.info as unknown as Record<string, string | number | undefined>)[ref.key];
}

/** Param / metric / user-tag keys seen in the rows, sorted (mlflow.* system tags left out). */
export function collectKeys(rows: RunRow[], limit = 2000): { params: string[]; metrics: string[]; tags: string[] } {
  const p = new Set<string>();
  const m = new Set<string>();
  const t = new Set<string>();
  for (const r of rows.slice(0, limit)) {
    Object.keys(r.params).forEach((k) => p.add(k));
    Object.keys(r.metrics).forEach((k) => m.add(k));
    Object.keys(r.tags).forEach((k) => !k.startsWith('mlflow.') && t.add(k));
  }
  const s = (x: Set<string>) => Array.from(x).sort();
  return { params: s(p), metrics: s(m), tags: s(t) };
}

export interface DiffRow {
  key: string;
  values: (string | undefined)[];
  differs: boolean;
}

/** Params of several runs side by side; `differs` when not every run has the same value. */
export function paramDiff(rows: RunRow[]): DiffRow[] {
  const keys = new Set<string>();
  rows.forEach((r) => Object.keys(r.params).forEach((k) => keys.add(k)));
  return Array.from(keys)
    .sort()
    .map((key) => {
      const values = rows.map((r) => r.params[key]);
      const differs = values.some((v) => v !== values[0]);
      return { key, values, differs };
    });
}

/** Run duration in ms, up to now for a run still going. */
export function duration(row: RunRow, now = Date.now()): number | undefined {
  const s = row.run.info.start_time;
  if (!s) return undefined;
  const e = row.run.info.end_time || (row.run.info.status === 'RUNNING' ? now : undefined);
  return e ? e - s : undefined;
}

/** The tag MLflow clients and mlws (pipeline steps, sweep trials) set on child runs. */
export const PARENT_RUN_TAG = 'mlflow.parentRunId';

export interface NestedRow extends RunRow {
  depth: number;
  /** Children of this run among the loaded rows. */
  childCount: number;
}

/**
 * Child runs right below their parent (in the rows' order), indented by depth; a child whose
 * parent is not among the rows stays where it is, at depth 0. Children of a run not in `expanded`
 * are hidden. A parent cycle (bad tags) is cut where it closes.
 */
export function nestRuns(rows: RunRow[], expanded: Set<string>): NestedRow[] {
  const ids = new Set(rows.map((r) => r.id));
  const kids = new Map<string, RunRow[]>();
  const roots: RunRow[] = [];
  for (const r of rows) {
    const p = r.tags[PARENT_RUN_TAG];
    if (p && p !== r.id && ids.has(p)) {
      const list = kids.get(p) ?? [];
      list.push(r);
      kids.set(p, list);
    } else roots.push(r);
  }
  const out: NestedRow[] = [];
  const seen = new Set<string>();
  const hide = (r: RunRow) => {
    for (const k of kids.get(r.id) ?? [])
      if (!seen.has(k.id)) {
        seen.add(k.id);
        hide(k);
      }
  };
  const emit = (r: RunRow, depth: number) => {
    if (seen.has(r.id)) return;
    seen.add(r.id);
    const c = kids.get(r.id) ?? [];
    out.push({ ...r, depth, childCount: c.length });
    if (expanded.has(r.id)) c.forEach((k) => emit(k, depth + 1));
    else hide(r);
  };
  roots.forEach((r) => emit(r, 0));
  // Rows only reachable through a cycle of parent tags.
  rows.forEach((r) => emit(r, 0));
  return out;
}
