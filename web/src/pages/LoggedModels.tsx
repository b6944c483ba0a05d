// MLflow 3 logged models: the Models tab of an experiment (logged-models/search, page by page)
// and one logged model's page with its info, params, metrics (per dataset), tags and artifacts.
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../api/mlflow';
import type { KV, LoggedModel, LoggedModelMetric } from '../api/types';
import { useApi } from '../lib/useApi';
import { usePaged } from '../lib/usePaged';
import { useWorkspace } from '../lib/workspace';
import { paths } from '../lib/urlState';
import { formatNumber, formatTime, shortId } from '../lib/format';
import { datasetLabel, latestMetrics, metricValue, modelStatus } from '../lib/loggedModels';
import { proxiedArtifactPath } from '../lib/traces';
import { Empty, ErrorBox, Loading } from '../components/States';
import { KeyTable } from '../components/KeyTable';
import { StatusBadge } from '../components/StatusBadge';
import { ArtifactBrowser, proxiedArtifacts } from '../components/Artifacts';

export function LoggedModelsTab({ ws, experimentId }: { ws: string; experimentId: string }) {
  const nav = useNavigate();
  const models = usePaged((token) => api.searchLoggedModels(ws, experimentId, token), (m) => m.info.model_id, [ws, experimentId]);
  if (models.error && models.items.length === 0) return <ErrorBox error={models.error} onRetry={models.reload} />;
  if (models.loading && models.items.length === 0) return <Loading what="logged models" />;
  if (models.items.length === 0)
    return (
      <Empty title="No logged models in this experiment">
        <p>
          MLflow 3 logs one with each <code>mlflow.&lt;flavor&gt;.log_model(model, name="my-model")</code>, or{' '}
          <code>mlflow.create_external_model(name="my-agent")</code>.
        </p>
      </Empty>
    );
  return (
    <>
      <KeyTable
        label="Logged models"
        testId="logged-models-table"
        rows={models.items}
        rowKey={(m) => m.info.model_id}
        onOpen={(m) => nav(paths.loggedModel(ws, m.info.model_id))}
        columns={[
          { id: 'name', header: 'Name', cell: (m) => <Link to={paths.loggedModel(ws, m.info.model_id)}>{m.info.name}</Link> },
          { id: 'status', header: 'Status', cell: (m) => <StatusBadge status={modelStatus(m.info.status)} /> },
          { id: 'created', header: 'Created', cell: (m) => formatTime(m.info.creation_timestamp_ms) },
          { id: 'run', header: 'Source run', cell: (m) => <RunLink ws={ws} runId={m.info.source_run_id} /> },
          { id: 'type', header: 'Type', cell: (m) => m.info.model_type ?? '' },
          { id: 'params', header: 'Params', cell: (m) => <Chips list={(m.data?.params ?? []).map((p) => `${p.key}=${p.value}`)} /> },
          {
            id: 'metrics',
            header: 'Metrics',
            cell: (m) => <Chips list={latestMetrics(m.data?.metrics).map((x) => `${x.key}${x.dataset_name ? ` (${x.dataset_name})` : ''}: ${formatNumber(metricValue(x.value))}`)} />,
          },
        ]}
      />
      <MoreButton done={models.done} loading={models.loading} more={models.more} error={models.error} />
    </>
  );
}

/** "Load more" under a paged list, or nothing once the last page is in. */
export function MoreButton({ done, loading, more, error }: { done: boolean; loading: boolean; more: () => void; error?: Error }) {
  if (error) return <ErrorBox error={error} onRetry={more} />;
  if (done) return null;
  return (
    <p>
      <button type="button" onClick={more} disabled={loading} data-testid="load-more">
        {loading ? 'Loading…' : 'Load more'}
      </button>
    </p>
  );
}

function RunLink({ ws, runId }: { ws: string; runId?: string }) {
  return runId ? <Link to={paths.run(ws, runId)}>{shortId(runId)}</Link> : <span className="muted">—</span>;
}

function Chips({ list, max = 6 }: { list: string[]; max?: number }) {
  return (
    <>
      {list.slice(0, max).map((c) => (
        <span className="chip" key={c}>
          {c}
        </span>
      ))}
      {list.length > max && <span className="muted"> +{list.length - max}</span>}
    </>
  );
}

export function LoggedModelPage() {
  const { ws } = useWorkspace();
  const { modelId = '' } = useParams();
  const model = useApi(() => api.getLoggedModel(ws, modelId), [ws, modelId]);
  const expId = model.data?.info.experiment_id;
  const exp = useApi(async () => (expId ? api.getExperiment(ws, expId) : undefined), [ws, expId]);
  if (model.error) return <ErrorBox error={model.error} onRetry={model.reload} />;
  if (!model.data) return <Loading what="logged model" />;
  const m: LoggedModel = model.data;
  const info = m.info;
  const root = proxiedArtifactPath(info.artifact_uri);
  const fields: [string, React.ReactNode][] = [
    ['Model ID', <code key="id">{info.model_id}</code>],
    ['Status', <StatusBadge key="s" status={modelStatus(info.status)} />],
    ['Type', info.model_type ?? ''],
    ['Created', formatTime(info.creation_timestamp_ms)],
    ['Updated', formatTime(info.last_updated_timestamp_ms)],
    ['Source run', <RunLink key="r" ws={ws} runId={info.source_run_id} />],
    ['Artifact URI', <code key="a">{info.artifact_uri}</code>],
  ];
  if (info.status_message) fields.push(['Status message', info.status_message]);
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={paths.experiments(ws)}>Experiments</Link> /{' '}
        <Link to={paths.experiment(ws, info.experiment_id, 'models')}>{exp.data?.name ?? info.experiment_id}</Link> / <span>{info.name}</span>
      </nav>
      <div className="page-head">
        <h1 data-testid="logged-model-name">{info.name}</h1>
        <StatusBadge status={modelStatus(info.status)} />
      </div>
      <div className="two-col">
        <dl className="fields">
          {fields.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
        <div>
          <h2>Parameters</h2>
          <KVs label="Parameters" list={m.data?.params} empty="No parameters." testId="logged-model-params" />
        </div>
      </div>
      <h2>Metrics</h2>
      <Metrics ws={ws} list={m.data?.metrics ?? []} />
      <h2>Tags</h2>
      <KVs label="Tags" list={info.tags} empty="No tags." testId="logged-model-tags" />
      <h2>Artifacts</h2>
      {root ? <ArtifactBrowser source={proxiedArtifacts(ws, root)} /> : <p className="muted">The artifacts are stored outside this server ({info.artifact_uri}).</p>}
    </>
  );
}

function KVs({ label, list, empty, testId }: { label: string; list?: KV[]; empty: string; testId: string }) {
  const rows = [...(list ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  if (rows.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="kv" aria-label={label} data-testid={testId}>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <th scope="row">{r.key}</th>
            <td className="wrap">{r.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Metrics({ ws, list }: { ws: string; list: LoggedModelMetric[] }) {
  if (list.length === 0) return <p className="muted">No metrics. Log one for this model with <code>mlflow.log_metric("acc", 0.9, model_id=model.model_id)</code>.</p>;
  const rows = [...list].sort((a, b) => a.key.localeCompare(b.key) || datasetLabel(a).localeCompare(datasetLabel(b)) || a.step - b.step);
  return (
    <KeyTable
      label="Metrics"
      testId="logged-model-metrics"
      rows={rows}
      rowKey={(x) => `${x.key}|${x.dataset_name ?? ''}|${x.dataset_digest ?? ''}|${x.run_id ?? ''}|${x.step}`}
      columns={[
        { id: 'key', header: 'Metric', cell: (x) => x.key },
        { id: 'value', header: 'Value', cell: (x) => formatNumber(metricValue(x.value)) },
        { id: 'step', header: 'Step', cell: (x) => String(x.step) },
        { id: 'dataset', header: 'Dataset', cell: (x) => (x.dataset_name ? <span className="chip">{datasetLabel(x)}</span> : <span className="muted">—</span>) },
        { id: 'run', header: 'Run', cell: (x) => <RunLink ws={ws} runId={x.run_id} /> },
        { id: 'time', header: 'Logged', cell: (x) => formatTime(x.timestamp) },
      ]}
    />
  );
}
