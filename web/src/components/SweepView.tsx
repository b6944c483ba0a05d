// A sweep job's trials (GET /jobs/{name}: trials sorted best first by the server, best_trial,
// objective): the trials table with the best one marked, a parallel-coordinates chart of the
// sampled parameters → the primary metric (SVG), and the objective over time (uPlot), with the
// trials' end times from their child runs (tags.mlflow.parentRunId = the sweep's run).
import { useMemo } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../api/mlflow';
import { useApi } from '../lib/useApi';
import { paths } from '../lib/urlState';
import { formatNumber } from '../lib/format';
import { objectiveOverTime, paramKeys, parallelAxes, type Trial } from '../lib/sweep';
import type { Job } from '../api/types';
import { KeyTable } from './KeyTable';
import { StatusBadge } from './StatusBadge';
import { MetricChart } from './MetricChart';

function fmt(v: unknown): string {
  if (typeof v === 'number') return formatNumber(v);
  return v === undefined || v === null ? '' : String(v);
}

export function SweepView({ ws, job }: { ws: string; job: Job }) {
  const nav = useNavigate();
  const trials = (job.trials ?? []) as Trial[];
  const sweep = (job.sweep ?? {}) as { goal?: string; primary_metric?: string };
  const objective = (job.objective ?? {}) as { goal?: string; primary_metric?: string };
  const metric = sweep.primary_metric ?? objective.primary_metric ?? 'objective';
  const goal = sweep.goal ?? objective.goal ?? 'minimize';
  const keys = useMemo(() => paramKeys(trials), [trials]);
  const ended = trials.filter((t) => typeof t.value === 'number').length;
  const children = useApi(
    (signal) =>
      job.run_id && job.experiment_id
        ? api.searchRuns(
            ws,
            { experiment_ids: [job.experiment_id], filter: `tags.mlflow.parentRunId = '${job.run_id}'`, max_results: 1000 },
            signal,
          )
        : Promise.resolve({ runs: [] }),
    [ws, job.run_id, job.experiment_id, ended],
  );
  const endTime = useMemo(() => {
    const m: Record<string, number | undefined> = {};
    for (const r of children.data?.runs ?? []) m[r.info.run_id] = r.info.end_time || undefined;
    return m;
  }, [children.data]);
  const series = useMemo(() => objectiveOverTime(trials, endTime, goal), [trials, endTime, goal]);
  const byTime = series.length > 0 && series.every((p) => p.time !== undefined);

  return (
    <section aria-label="Sweep" data-testid="sweep">
      <h2>Trials</h2>
      <p className="muted">
        {goal === 'maximize' ? 'Maximizing' : 'Minimizing'} <code>{metric}</code>; {trials.length} trial{trials.length === 1 ? '' : 's'}
        {job.best_value !== null && job.best_value !== undefined && (
          <>
            , best <strong data-testid="sweep-best">{formatNumber(job.best_value)}</strong> ({job.best_trial})
          </>
        )}
        .
      </p>
      {trials.length > 0 && (
        <KeyTable
          label="Trials"
          testId="sweep-trials"
          rows={trials}
          rowKey={(t) => String(t.index)}
          rowClass={(t) => (t.job && t.job === job.best_trial ? 'best' : '')}
          onOpen={(t) => t.run_id && nav(paths.run(ws, t.run_id))}
          columns={[
            { id: 'i', header: '#', cell: (t) => t.index },
            {
              id: 'trial',
              header: 'Trial',
              cell: (t) => (
                <>
                  {t.run_id ? <Link to={paths.run(ws, t.run_id)}>{t.job || t.run_id}</Link> : t.job}
                  {t.job && t.job === job.best_trial && (
                    <span className="chip best-mark" data-testid="best-trial">
                      ★ best
                    </span>
                  )}
                </>
              ),
            },
            { id: 'status', header: 'Status', cell: (t) => <StatusBadge status={t.status} /> },
            ...keys.map((k) => ({ id: `p.${k}`, header: k, cell: (t: Trial) => fmt(t.params?.[k]) })),
            { id: 'value', header: metric, cell: (t) => (typeof t.value === 'number' ? formatNumber(t.value) : t.error ? <span className="muted">{t.error}</span> : '') },
          ]}
        />
      )}
      {trials.length > 0 && (
        <>
          <h3>Parameters → {metric}</h3>
          <ParallelCoordinates trials={trials} metric={metric} goal={goal} best={job.best_trial ?? null} />
        </>
      )}
      {series.length > 0 && (
        <MetricChart
          title={`${metric} over time`}
          xAxis={byTime ? 'time' : 'step'}
          smoothing={0}
          height={220}
          runs={[
            { label: 'trial', steps: series.map((p) => p.index), times: series.map((p) => p.time ?? 0), values: series.map((p) => p.value) },
            { label: goal === 'maximize' ? 'best so far (max)' : 'best so far (min)', steps: series.map((p) => p.index), times: series.map((p) => p.time ?? 0), values: series.map((p) => p.best) },
          ]}
        />
      )}
    </section>
  );
}

const PC_H = 260;
const PC_GAP = 150;
const PC_PAD = { top: 24, bottom: 44, side: 48 };

/** One vertical axis per parameter and the metric last; one line per trial, coloured by its value. */
function ParallelCoordinates({ trials, metric, goal, best }: { trials: Trial[]; metric: string; goal: string; best: string | null }) {
  const axes = useMemo(() => parallelAxes(trials, metric), [trials, metric]);
  const metricAxis = axes[axes.length - 1];
  const width = PC_PAD.side * 2 + PC_GAP * (axes.length - 1);
  const inner = PC_H - PC_PAD.top - PC_PAD.bottom;
  const y = (p: number) => PC_PAD.top + (1 - p) * inner;
  const x = (i: number) => PC_PAD.side + i * PC_GAP;
  const colour = (t: Trial) => {
    const p = metricAxis.pos(t.value);
    if (p === null) return 'var(--fg-muted)';
    const good = goal === 'maximize' ? p : 1 - p;
    return `hsl(${Math.round(good * 120)}, 65%, 42%)`;
  };
  // Draw the best trial last so it is on top.
  const order = trials.slice().sort((a, b) => Number(a.job === best) - Number(b.job === best));
  return (
    <div className="graph-wrap">
      <svg width={width} height={PC_H} viewBox={`0 0 ${width} ${PC_H}`} role="img" aria-label={`Parallel coordinates of the trials' parameters and ${metric}`} data-testid="parallel-coordinates">
        {order.map((t) => {
          const pts = axes.map((a, i) => [x(i), a.pos(i === axes.length - 1 ? t.value : t.params?.[a.key])] as const);
          const d = pts
            .filter(([, p]) => p !== null)
            .map(([px, p], i) => `${i === 0 ? 'M' : 'L'} ${px} ${y(p as number)}`)
            .join(' ');
          const isBest = best !== null && t.job === best;
          return (
            <path
              key={t.index}
              d={d}
              fill="none"
              stroke={colour(t)}
              strokeWidth={isBest ? 3.5 : 1.5}
              strokeDasharray={typeof t.value === 'number' ? undefined : '4 3'}
              opacity={isBest ? 1 : 0.75}
              data-testid="pc-line"
              data-trial={t.index}
              data-best={isBest ? '1' : undefined}
            >
              <title>
                trial {t.index}: {Object.entries(t.params ?? {}).map(([k, v]) => `${k}=${fmt(v)}`).join(', ')}
                {typeof t.value === 'number' ? ` → ${metric}=${formatNumber(t.value)}` : ''}
              </title>
            </path>
          );
        })}
        {axes.map((a, i) => (
          <g key={a.key} className="pc-axis" data-testid="pc-axis" data-key={a.key}>
            <line x1={x(i)} x2={x(i)} y1={PC_PAD.top} y2={PC_PAD.top + inner} />
            <text x={x(i)} y={PC_H - 6} textAnchor="middle" className="pc-axis-name">
              {a.key}
            </text>
            {a.kind === 'number' ? (
              <>
                <text x={x(i) + 4} y={PC_PAD.top - 8} textAnchor="middle">
                  {formatNumber(a.max)}
                </text>
                <text x={x(i) + 4} y={PC_PAD.top + inner + 14} textAnchor="middle">
                  {a.max === a.min ? '' : formatNumber(a.min)}
                </text>
              </>
            ) : (
              a.categories.map((c) => (
                <text key={c} x={x(i) + 5} y={y(a.pos(c) ?? 0) + 4}>
                  {c}
                </text>
              ))
            )}
          </g>
        ))}
      </svg>
    </div>
  );
}
