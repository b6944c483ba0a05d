// One metric chart (uPlot, canvas): many runs overlaid on a step, wall-time or relative-time axis,
// optional EMA smoothing and log scale. Each series is smoothed on its full data, then reduced with
// LTTB to about two points per pixel, then aligned onto one x axis — so 100 runs × 10,000 points
// draw as ~100 × 1,600 points. The last render time is exposed as data-render-ms (perf script).
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { alignSeries, lttb, smooth, type Series } from '../lib/downsample';
import { seriesColor } from '../lib/colors';
import { formatNumber } from '../lib/format';
import type { XAxis } from '../lib/urlState';
import { useTheme } from '../lib/theme';

export interface RunSeries {
  label: string;
  steps: number[];
  times: number[];
  values: number[];
  color?: string;
}

interface Props {
  title: string;
  runs: RunSeries[];
  xAxis: XAxis;
  smoothing: number;
  logY?: boolean;
  height?: number;
  /** Marks each point (for sparse series, e.g. one minute with requests). */
  points?: boolean;
  /** Fixed x range in axis units (seconds for `time`), instead of the data's. */
  xRange?: [number, number];
}

export function prepareSeries(runs: RunSeries[], xAxis: XAxis, smoothing: number, pointsPerSeries: number): Series[] {
  return runs.map((r) => {
    let xs: number[];
    if (xAxis === 'step') xs = r.steps;
    else if (xAxis === 'time') xs = r.times.map((t) => t / 1000);
    else {
      const t0 = r.times.length ? Math.min(...r.times.slice(0, 50)) : 0;
      xs = r.times.map((t) => (t - t0) / 1000);
    }
    // Sort by x once (histories arrive by step; wall time may interleave).
    let order: number[] | null = null;
    for (let i = 1; i < xs.length; i++)
      if (xs[i] < xs[i - 1]) {
        order = xs.map((_, k) => k).sort((a, b) => xs[a] - xs[b]);
        break;
      }
    let ys = r.values;
    if (order) {
      xs = order.map((k) => xs[k]);
      ys = order.map((k) => ys[k]);
    }
    const sm = smooth(ys, smoothing);
    const [dx, dy] = lttb(xs, sm, pointsPerSeries);
    return { label: r.label, xs: dx, ys: dy };
  });
}

export function MetricChart({ title, runs, xAxis, smoothing, logY, height = 260, points, xRange }: Props) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const theme = useTheme();
  const width = useRef(600);

  const prepared = useMemo(() => {
    const t0 = performance.now();
    const per = Math.max(200, Math.min(2000, Math.round(width.current * 2)));
    const series = prepareSeries(runs, xAxis, smoothing, per);
    const aligned = alignSeries(series, Math.max(1000, per));
    return { series, aligned, prepMs: performance.now() - t0 };
  }, [runs, xAxis, smoothing]);

  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const t0 = performance.now();
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue('--fg-muted').trim() || '#666';
    const grid = css.getPropertyValue('--border').trim() || '#ddd';
    width.current = el.clientWidth || 600;
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const many = runs.length > 12;
    const opts: uPlot.Options = {
      width: width.current,
      height,
      pxAlign: 0,
      legend: { show: !many, live: !many },
      cursor: { drag: { x: true, y: false }, points: { show: !many } },
      scales: {
        x: xRange ? { time: xAxis === 'time', range: () => xRange } : { time: xAxis === 'time' },
        y: logY ? { distr: 3 } : {},
      },
      axes: [
        { ...axis, label: xAxis === 'step' ? 'step' : xAxis === 'time' ? undefined : 'seconds since start' },
        { ...axis, values: (_u, vals) => vals.map((v) => formatNumber(v)), size: 60 },
      ],
      series: [
        { label: xAxis === 'step' ? 'step' : 'time' },
        ...prepared.series.map((s, i) => ({
          label: s.label,
          stroke: runs[i]?.color ?? seriesColor(i),
          width: 1.25,
          spanGaps: true,
          points: points ? { show: true, size: 6 } : { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : formatNumber(v)),
        })),
      ],
    };
    const data = [prepared.aligned.x, ...prepared.aligned.ys] as uPlot.AlignedData;
    plot.current?.destroy();
    plot.current = new uPlot(opts, data, el);
    const ms = prepared.prepMs + (performance.now() - t0);
    el.dataset.renderMs = ms.toFixed(1);
    el.dataset.points = String(prepared.aligned.x.length * prepared.series.length);
    el.dataset.drawnAt = performance.now().toFixed(0);
    const ro = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (plot.current && w > 0 && Math.abs(w - plot.current.width) > 2) plot.current.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [prepared, theme, logY, height, xAxis, runs, points, xRange?.[0], xRange?.[1]]);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={holder} className="chart-canvas" data-testid={`chart-${title}`} role="img" aria-label={`Chart of ${title}`} />
    </figure>
  );
}
