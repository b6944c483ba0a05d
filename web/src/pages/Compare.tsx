// Compare 2–100 runs: overlaid metric charts (one colour per run), a param table that highlights
// the params whose values differ, and latest metrics side by side. URL: ?runs=a,b,c.
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api/mlflow';
import { useApi } from '../lib/useApi';
import { useWorkspace } from '../lib/workspace';
import { parseRunIds, paths } from '../lib/urlState';
import { paramDiff, toRow, type RunRow } from '../lib/runs';
import { formatNumber } from '../lib/format';
import { seriesColor } from '../lib/colors';
import { Empty, ErrorBox, Loading } from '../components/States';
import { MetricCharts } from '../components/MetricCharts';
import type { Run } from '../api/types';

/** runs/get for each id, 16 at a time. */
async function getRuns(ws: string, ids: string[], signal: AbortSignal): Promise<Run[]> {
  const out: Run[] = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      out[i] = await api.getRun(ws, ids[i], signal);
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, ids.length) }, worker));
  return out;
}

export function ComparePage() {
  const { ws } = useWorkspace();
  const [sp, setSp] = useSearchParams();
  const ids = useMemo(() => parseRunIds(sp.get('runs')), [sp]);
  const runs = useApi((s) => getRuns(ws, ids, s), [ws, ids.join(',')]);
  const rows = useMemo(() => (runs.data ?? []).map(toRow), [runs.data]);
  const chartRuns = useMemo(() => rows.map((r) => ({ id: r.id, label: r.name })), [rows]);
  const metricKeys = useMemo(() => Array.from(new Set(rows.flatMap((r) => Object.keys(r.metrics)))).sort(), [rows]);

  const remove = (id: string) => {
    const n = new URLSearchParams(sp);
    n.set('runs', ids.filter((x) => x !== id).join(','));
    setSp(n);
  };

  if (ids.length < 2)
    return (
      <Empty title="Pick at least two runs to compare">
        <p>
          Open an <Link to={paths.experiments(ws)}>experiment</Link>, tick two or more runs (Space on the keyboard) and press Compare.
        </p>
      </Empty>
    );
  if (runs.error) return <ErrorBox error={runs.error} onRetry={runs.reload} />;
  if (!runs.data) return <Loading what={`${ids.length} runs`} />;
  return (
    <>
      <div className="page-head">
        <h1>Comparing {rows.length} runs</h1>
      </div>
      <ul className="run-legend" aria-label="Runs compared">
        {rows.map((r, i) => (
          <li key={r.id}>
            <span className="swatch" style={{ background: seriesColor(i) }} aria-hidden="true" />
            <Link to={paths.run(ws, r.id)}>{r.name}</Link>
            {rows.length > 2 && (
              <button type="button" className="icon" aria-label={`Remove ${r.name} from the comparison`} onClick={() => remove(r.id)}>
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      <h2>Metrics</h2>
      <MetricCharts ws={ws} runs={chartRuns} keys={metricKeys} />
      <ParamDiff ws={ws} rows={rows} />
      <MetricTable rows={rows} keys={metricKeys} />
    </>
  );
}

function ParamDiff({ ws, rows }: { ws: string; rows: RunRow[] }) {
  const [onlyDiff, setOnlyDiff] = useState(false);
  const diff = useMemo(() => paramDiff(rows), [rows]);
  const shown = onlyDiff ? diff.filter((d) => d.differs) : diff;
  const nDiff = diff.filter((d) => d.differs).length;
  return (
    <section>
      <div className="page-head">
        <h2>Parameters</h2>
        <span className="muted">
          {nDiff} of {diff.length} differ
        </span>
        <label>
          <input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} /> Only differences
        </label>
      </div>
      <div className="table-wrap">
        <table className="diff" aria-label="Parameters of the compared runs" data-testid="param-diff">
          <thead>
            <tr>
              <th scope="col">Param</th>
              {rows.map((r) => (
                <th scope="col" key={r.id}>
                  <Link to={paths.run(ws, r.id)}>{r.name}</Link>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((d) => (
              <tr key={d.key} className={d.differs ? 'differs' : ''} data-differs={d.differs}>
                <th scope="row">
                  {d.key}
                  {d.differs && <span className="sr-only"> (differs)</span>}
                </th>
                {d.values.map((v, i) => (
                  <td key={i}>{v ?? <span className="muted">–</span>}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function MetricTable({ rows, keys }: { rows: RunRow[]; keys: string[] }) {
  if (keys.length === 0) return null;
  return (
    <section>
      <h2>Latest metric values</h2>
      <div className="table-wrap">
        <table className="diff" aria-label="Latest metrics of the compared runs">
          <thead>
            <tr>
              <th scope="col">Metric</th>
              {rows.map((r) => (
                <th scope="col" key={r.id}>
                  {r.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                {rows.map((r) => (
                  <td key={r.id} className="right">
                    {formatNumber(r.metrics[k])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
