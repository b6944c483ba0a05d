// Metric charts for one or many runs: axis (step / wall time / relative time), smoothing and log
// scale controls kept in the URL; one chart per metric key, each fed by the server's sampled
// history (get-history-bulk-interval) for all the runs at once.
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../api/mlflow';
import { useApi } from '../lib/useApi';
import { parseChartView, withChartView, type ChartViewState } from '../lib/urlState';
import { MetricChart, type RunSeries } from './MetricChart';
import { ErrorBox, Loading } from './States';
import { seriesColor } from '../lib/colors';
import type { Metric } from '../api/types';

export interface ChartRun {
  id: string;
  label: string;
}

/** Group a bulk answer by run, in the order of `runs`. */
export function groupByRun(metrics: Metric[], runs: ChartRun[]): RunSeries[] {
  const by = new Map<string, { steps: number[]; times: number[]; values: number[] }>();
  for (const m of metrics) {
    const id = m.run_id ?? runs[0]?.id ?? '';
    let s = by.get(id);
    if (!s) by.set(id, (s = { steps: [], times: [], values: [] }));
    s.steps.push(m.step);
    s.times.push(m.timestamp);
    s.values.push(typeof m.value === 'number' ? m.value : Number(m.value));
  }
  return runs
    .map((r, i) => ({ r, i, s: by.get(r.id) }))
    .filter((x) => x.s)
    .map(({ r, i, s }) => ({ label: r.label, color: seriesColor(i), ...s! }));
}

export function ChartControls() {
  const [sp, setSp] = useSearchParams();
  const v = parseChartView(sp);
  const set = (patch: Partial<ChartViewState>) => setSp(withChartView(sp, { ...v, ...patch }), { replace: true });
  return (
    <div className="toolbar chart-controls" role="group" aria-label="Chart options">
      <label>
        X axis{' '}
        <select value={v.x} onChange={(e) => set({ x: e.target.value as ChartViewState['x'] })} data-testid="x-axis">
          <option value="step">Step</option>
          <option value="time">Wall time</option>
          <option value="relative">Relative time</option>
        </select>
      </label>
      <label>
        Smoothing{' '}
        <input type="range" min={0} max={0.99} step={0.01} value={v.smooth} onChange={(e) => set({ smooth: Number(e.target.value) })} aria-valuetext={String(v.smooth)} />
        <output>{v.smooth.toFixed(2)}</output>
      </label>
      <label>
        <input type="checkbox" checked={v.logY} onChange={(e) => set({ logY: e.target.checked })} /> Log scale
      </label>
    </div>
  );
}

export function MetricCharts({ ws, runs, keys }: { ws: string; runs: ChartRun[]; keys: string[] }) {
  const [sp] = useSearchParams();
  const view = parseChartView(sp);
  const [shown, setShown] = useState(12);
  if (keys.length === 0) return <p className="muted">No metrics logged.</p>;
  return (
    <>
      <ChartControls />
      <div className="charts">
        {keys.slice(0, shown).map((k) => (
          <MetricPanel key={k} ws={ws} runs={runs} metricKey={k} view={view} />
        ))}
      </div>
      {keys.length > shown && (
        <button type="button" onClick={() => setShown((s) => s + 12)}>
          Show more metrics ({keys.length - shown} left)
        </button>
      )}
    </>
  );
}

function MetricPanel({ ws, runs, metricKey, view }: { ws: string; runs: ChartRun[]; metricKey: string; view: ChartViewState }) {
  const ids = useMemo(() => runs.map((r) => r.id), [runs]);
  // About 50k points per chart: 2500 (the server's cap) for one run, 500 each for 100 runs — more
  // than the ~2 points per pixel a chart can show, at a fraction of the transfer.
  const perRun = Math.min(2500, Math.max(200, Math.floor(50000 / Math.max(1, ids.length))));
  const hist = useApi((s) => fetchChunked(ws, ids, metricKey, perRun, s), [ws, ids.join(','), metricKey, perRun]);
  const series = useMemo(() => (hist.data ? groupByRun(hist.data, runs) : []), [hist.data, runs]);
  if (hist.error) return <ErrorBox error={hist.error} />;
  if (!hist.data) return <div className="chart"><Loading what={metricKey} /></div>;
  return <MetricChart title={metricKey} runs={series} xAxis={view.x} smoothing={view.smooth} logY={view.logY} />;
}

/** The bulk endpoint takes at most 100 run ids; ask in slices of 100 in parallel. */
async function fetchChunked(ws: string, ids: string[], key: string, perRun: number, signal: AbortSignal): Promise<Metric[]> {
  const parts: Promise<Metric[]>[] = [];
  for (let i = 0; i < ids.length; i += 100) parts.push(api.bulkHistory(ws, ids.slice(i, i + 100), key, perRun, signal));
  return (await Promise.all(parts)).flat();
}
