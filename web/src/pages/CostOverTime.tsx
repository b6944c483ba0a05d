// Cost over time (docs/quotas.md): GET /api/v1/workspaces/<ws>/cost/series as stacked bars per
// period, one colour per user / experiment / compute, with the numbers in a table below.
import { useState } from 'react';
import { getJson } from '../api/client';
import type { components } from '../api/openapi.gen';
import { useApi } from '../lib/useApi';
import { useWorkspace } from '../lib/workspace';
import { formatMoney } from '../lib/format';
import { Empty, ErrorBox, Loading } from '../components/States';

type CostSeries = components['schemas']['CostSeries'];
const BY = ['user', 'experiment', 'compute'] as const;
const PER = ['day', 'week', 'month'] as const;
const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];

export function CostOverTimePage() {
  const { ws } = useWorkspace();
  const [by, setBy] = useState<(typeof BY)[number]>('user');
  const [per, setPer] = useState<(typeof PER)[number]>('day');
  const series = useApi(
    () =>
      getJson<CostSeries>(
        `/api/v1/workspaces/${encodeURIComponent(ws)}/cost/series?by=${by}&per=${per}`,
      ),
    [ws, by, per],
  );
  const s = series.data;
  const totals = s ? s.periods.map((_, i) => s.series.reduce((t, l) => t + (l.cost[i] ?? 0), 0)) : [];
  const top = Math.max(1e-9, ...totals);
  const barW = 28;
  const h = 160;
  return (
    <>
      <div className="page-head">
        <h1>Cost over time</h1>
      </div>
      <p>
        By{' '}
        <select aria-label="group by" value={by} onChange={(e) => setBy(e.target.value as (typeof BY)[number])}>
          {BY.map((b) => (
            <option key={b}>{b}</option>
          ))}
        </select>{' '}
        per{' '}
        <select aria-label="period" value={per} onChange={(e) => setPer(e.target.value as (typeof PER)[number])}>
          {PER.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </p>
      {series.error && <ErrorBox error={series.error} onRetry={series.reload} />}
      {!s && !series.error && <Loading what="cost" />}
      {s && s.series.length === 0 && <Empty title="No job has run in this period" />}
      {s && s.series.length > 0 && (
        <>
          <svg role="img" aria-label="cost per period" width={s.periods.length * (barW + 6) + 10} height={h + 40}>
            {s.periods.map((p, i) => {
              let y = h;
              return (
                <g key={p} transform={`translate(${5 + i * (barW + 6)},0)`}>
                  {s.series.map((l, k) => {
                    const bh = ((l.cost[i] ?? 0) / top) * h;
                    y -= bh;
                    return (
                      <rect key={l.key} y={y} width={barW} height={bh} fill={COLORS[k % COLORS.length]}>
                        <title>{`${l.name} ${p}: ${formatMoney(l.cost[i], s.currency)}`}</title>
                      </rect>
                    );
                  })}
                  <text y={h + 14} fontSize="9" transform={`rotate(30 0 ${h + 14})`}>
                    {p.slice(5)}
                  </text>
                </g>
              );
            })}
          </svg>
          <table className="key-table">
            <thead>
              <tr>
                <th>{by}</th>
                <th>Node-hours</th>
                <th>Cost</th>
              </tr>
            </thead>
            <tbody>
              {s.series.map((l, k) => (
                <tr key={l.key}>
                  <td>
                    <span style={{ color: COLORS[k % COLORS.length] }}>■</span> {l.name}
                  </td>
                  <td>{(l.total_node_seconds / 3600).toFixed(3)}</td>
                  <td>{formatMoney(l.total_cost, s.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            Total: <strong>{formatMoney(s.total_cost, s.currency)}</strong>
          </p>
        </>
      )}
    </>
  );
}
