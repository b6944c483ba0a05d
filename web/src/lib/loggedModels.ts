// MLflow 3 logged models as the studio shows them. Pure, unit-tested.
import type { LoggedModelMetric } from '../api/types';

/** LOGGED_MODEL_READY → READY, LOGGED_MODEL_UPLOAD_FAILED → UPLOAD_FAILED. */
export function modelStatus(s: string | undefined): string {
  return (s ?? '').replace(/^LOGGED_MODEL_/, '');
}

/** "eval (digest abc)" for a metric computed on a dataset, '' for one that is not. */
export function datasetLabel(m: LoggedModelMetric): string {
  if (!m.dataset_name) return '';
  return m.dataset_digest ? `${m.dataset_name} (digest ${m.dataset_digest})` : m.dataset_name;
}

/**
 * One value per metric key and dataset: the one at the highest step (the latest timestamp on a
 * tie), sorted by key, then dataset (metrics without a dataset first).
 */
export function latestMetrics(metrics: LoggedModelMetric[] | undefined): LoggedModelMetric[] {
  const best = new Map<string, LoggedModelMetric>();
  for (const m of metrics ?? []) {
    const k = `${m.key}\u0000${m.dataset_name ?? ''}\u0000${m.dataset_digest ?? ''}`;
    const cur = best.get(k);
    if (!cur || m.step > cur.step || (m.step === cur.step && m.timestamp >= cur.timestamp)) best.set(k, m);
  }
  return [...best.values()].sort((a, b) => a.key.localeCompare(b.key) || datasetLabel(a).localeCompare(datasetLabel(b)));
}

/** Metric values may arrive as "NaN" / "Infinity" strings (JSON has no such numbers). */
export function metricValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return Number(v);
}
