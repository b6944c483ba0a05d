// One run: overview, metric charts, params, tags, artifacts, logs, inputs and lineage, one tab each
// (?tab=…, so the back button steps between tabs).
import { useMemo } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../api/mlflow';
import { useApi } from '../lib/useApi';
import { useWorkspace } from '../lib/workspace';
import { paths } from '../lib/urlState';
import { duration, toRow, type RunRow } from '../lib/runs';
import { formatDuration, formatNumber, formatTime } from '../lib/format';
import { ErrorBox, Empty, Loading } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { TabBar, useTab } from '../components/Tabs';
import { MetricCharts } from '../components/MetricCharts';
import { ArtifactBrowser, Preview, runArtifacts } from '../components/Artifacts';
import { KeyTable } from '../components/KeyTable';
import { ApiError } from '../api/client';

const TABS = ['overview', 'metrics', 'params', 'tags', 'artifacts', 'logs', 'inputs', 'lineage'];
const LOG_PATH = 'user_logs/std_log.txt';

export function RunPage() {
  const { ws } = useWorkspace();
  const { runId = '' } = useParams();
  const [tab, setTab] = useTab(TABS);
  const run = useApi((s) => api.getRun(ws, runId, s), [ws, runId]);
  const row = useMemo(() => (run.data ? toRow(run.data) : undefined), [run.data]);
  const exp = useApi(async () => (run.data ? api.getExperiment(ws, run.data.info.experiment_id) : undefined), [ws, run.data?.info.experiment_id]);

  if (run.error) return <ErrorBox error={run.error} onRetry={run.reload} />;
  if (!row) return <Loading what="run" />;
  const info = row.run.info;
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={paths.experiments(ws)}>Experiments</Link> /{' '}
        <Link to={paths.experiment(ws, info.experiment_id)}>{exp.data?.name ?? info.experiment_id}</Link> / <span>{row.name}</span>
      </nav>
      <div className="page-head">
        <h1 data-testid="run-name">{row.name}</h1>
        <StatusBadge status={info.status} />
      </div>
      <TabBar tabs={TABS} tab={tab} onChange={setTab} />
      <section className="tab-body" aria-label={tab}>
        {tab === 'overview' && <Overview ws={ws} row={row} />}
        {tab === 'metrics' && <MetricCharts ws={ws} runs={[{ id: row.id, label: row.name }]} keys={Object.keys(row.metrics).sort()} />}
        {tab === 'params' && <KVTable label="Parameters" data={row.params} empty="No parameters logged. Log one with mlflow.log_param(&quot;lr&quot;, 0.01)." />}
        {tab === 'tags' && <KVTable label="Tags" data={row.tags} empty="No tags." />}
        {tab === 'artifacts' && <ArtifactBrowser source={runArtifacts(ws, row.id)} />}
        {tab === 'logs' && <Logs ws={ws} runId={row.id} />}
        {tab === 'inputs' && <Inputs row={row} />}
        {tab === 'lineage' && <Lineage ws={ws} row={row} />}
      </section>
    </>
  );
}

function Overview({ ws, row }: { ws: string; row: RunRow }) {
  const info = row.run.info;
  const parent = row.tags['mlflow.parentRunId'];
  const fields: [string, React.ReactNode][] = [
    ['Run ID', <code key="id">{info.run_id}</code>],
    ['Status', <StatusBadge key="s" status={info.status} />],
    ['Started', formatTime(info.start_time)],
    ['Ended', formatTime(info.end_time)],
    ['Duration', formatDuration(duration(row))],
    ['User', info.user_id || row.tags['mlflow.user'] || ''],
    ['Source', row.tags['mlflow.source.name'] ?? ''],
    ['Git commit', row.tags['mlflow.source.git.commit'] ?? ''],
    ['Artifact URI', <code key="a">{info.artifact_uri}</code>],
  ];
  if (parent) fields.push(['Parent run', <Link key="p" to={paths.run(ws, parent)}>{parent}</Link>]);
  const desc = row.tags['mlflow.note.content'];
  const metrics = Object.entries(row.metrics).sort(([a], [b]) => a.localeCompare(b));
  return (
    <div className="two-col">
      <div>
        {desc && <p className="description">{desc}</p>}
        <dl className="fields">
          {fields.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v || <span className="muted">–</span>}</dd>
            </div>
          ))}
        </dl>
      </div>
      <div>
        <h2>Latest metrics</h2>
        {metrics.length === 0 ? (
          <p className="muted">No metrics logged.</p>
        ) : (
          <table className="kv" aria-label="Latest metrics">
            <tbody>
              {metrics.map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td className="right">{formatNumber(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h2>Parameters</h2>
        <p className="muted">{Object.keys(row.params).length} logged — see the Params tab.</p>
      </div>
    </div>
  );
}

function KVTable({ label, data, empty }: { label: string; data: Record<string, string>; empty: string }) {
  const rows = Object.entries(data).sort(([a], [b]) => a.localeCompare(b));
  if (rows.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="kv" aria-label={label} data-testid={`kv-${label}`}>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td className="wrap">{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Logs({ ws, runId }: { ws: string; runId: string }) {
  const files = useApi(() => api.listArtifacts(ws, runId, 'user_logs').catch((e) => (e instanceof ApiError && e.status === 404 ? [] : Promise.reject(e))), [ws, runId]);
  if (files.error) return <ErrorBox error={files.error} />;
  if (!files.data) return <Loading what="logs" />;
  const log = files.data.find((f) => f.path === LOG_PATH);
  if (!log)
    return (
      <Empty title="No logs for this run">
        <p>
          Jobs that mlws runs save their output as the artifact <code>{LOG_PATH}</code>. Runs logged only from a client have none.
        </p>
      </Empty>
    );
  return <Preview source={runArtifacts(ws, runId)} file={log} />;
}

function Inputs({ row }: { row: RunRow }) {
  const ds = row.run.inputs?.dataset_inputs ?? [];
  if (ds.length === 0)
    return (
      <Empty title="No dataset inputs">
        <p>
          Record one with <code>mlflow.log_input(mlflow.data.from_pandas(df, name="train"), context="training")</code>.
        </p>
      </Empty>
    );
  return (
    <KeyTable
      label="Dataset inputs"
      rows={ds}
      rowKey={(d) => `${d.dataset.name}:${d.dataset.digest}`}
      columns={[
        { id: 'name', header: 'Name', cell: (d) => d.dataset.name },
        { id: 'digest', header: 'Digest', cell: (d) => <code>{d.dataset.digest}</code> },
        { id: 'ctx', header: 'Context', cell: (d) => d.tags?.find((t) => t.key === 'mlflow.data.context')?.value ?? '' },
        { id: 'src', header: 'Source', cell: (d) => <span className="wrap">{d.dataset.source_type}: {d.dataset.source}</span> },
      ]}
    />
  );
}

function Lineage({ ws, row }: { ws: string; row: RunRow }) {
  const info = row.run.info;
  const parent = row.tags['mlflow.parentRunId'];
  const children = useApi(
    (s) =>
      api.searchRuns(ws, { experiment_ids: [info.experiment_id], filter: `tags.mlflow.parentRunId = '${info.run_id}'`, max_results: 100 }, s).then((r) => (r.runs ?? []).map(toRow)),
    [ws, info.run_id],
  );
  const models = useApi(() => api.searchVersionsByRun(ws, info.run_id), [ws, info.run_id]);
  const ds = row.run.inputs?.dataset_inputs ?? [];
  return (
    <div className="lineage" data-testid="lineage">
      <section>
        <h2>Inputs</h2>
        {parent && (
          <p>
            Child of run <Link to={paths.run(ws, parent)}>{parent}</Link>
          </p>
        )}
        {ds.length === 0 && !parent && <p className="muted">No recorded inputs.</p>}
        <ul>
          {ds.map((d) => (
            <li key={d.dataset.digest + d.dataset.name}>
              Dataset <strong>{d.dataset.name}</strong> <code>{d.dataset.digest}</code>
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>This run</h2>
        <p>
          <strong>{row.name}</strong> <StatusBadge status={info.status} />
        </p>
      </section>
      <section>
        <h2>Outputs</h2>
        {models.error && <ErrorBox error={models.error} />}
        {children.error && <ErrorBox error={children.error} />}
        <ul>
          {(models.data ?? []).map((m) => (
            <li key={`${m.name}:${m.version}`}>
              Model <Link to={paths.model(ws, m.name)}>{m.name}</Link> version {m.version}
            </li>
          ))}
          {(children.data ?? []).map((c) => (
            <li key={c.id}>
              Child run <Link to={paths.run(ws, c.id)}>{c.name}</Link>
            </li>
          ))}
        </ul>
        {models.data?.length === 0 && children.data?.length === 0 && <p className="muted">No registered models or child runs come from this run.</p>}
      </section>
    </div>
  );
}
