// MLflow model registry: registered models, and one model's versions with stage, aliases and the
// run that produced each version.
import { useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api } from '../api/mlflow';
import { useApi } from '../lib/useApi';
import { useWorkspace } from '../lib/workspace';
import { paths } from '../lib/urlState';
import { formatAgo, formatTime } from '../lib/format';
import { Empty, ErrorBox, Loading } from '../components/States';
import { KeyTable } from '../components/KeyTable';
import { StatusBadge } from '../components/StatusBadge';
import { quoteValue } from '../lib/filter';

export function ModelsPage() {
  const { ws } = useWorkspace();
  const nav = useNavigate();
  const [q, setQ] = useState('');
  const filter = q.trim() ? `name ILIKE ${quoteValue('%' + q.trim() + '%')}` : undefined;
  const models = useApi(() => api.searchModels(ws, filter), [ws, filter]);
  return (
    <>
      <div className="page-head">
        <h1>Models</h1>
        <label>
          <span className="sr-only">Filter models by name</span>
          <input placeholder="Filter by name" value={q} onChange={(e) => setQ(e.target.value)} />
        </label>
      </div>
      {models.error && <ErrorBox error={models.error} onRetry={models.reload} />}
      {!models.data && !models.error && <Loading what="models" />}
      {models.data && models.data.length === 0 && (
        <Empty title={filter ? 'No model matches' : 'No registered models yet'}>
          <p>
            Register one from a run: <code>mlflow.register_model("runs:/&lt;run_id&gt;/model", "my-model")</code>, or pass{' '}
            <code>registered_model_name="my-model"</code> to <code>log_model</code>.
          </p>
        </Empty>
      )}
      {models.data && models.data.length > 0 && (
        <KeyTable
          label="Registered models"
          testId="models-table"
          rows={models.data}
          rowKey={(m) => m.name}
          onOpen={(m) => nav(paths.model(ws, m.name))}
          columns={[
            { id: 'name', header: 'Name', cell: (m) => <Link to={paths.model(ws, m.name)}>{m.name}</Link> },
            {
              id: 'latest',
              header: 'Latest version',
              cell: (m) => {
                const v = (m.latest_versions ?? []).reduce((a, b) => (Number(b.version) > Number(a) ? b.version : a), '');
                return v ? `Version ${v}` : '';
              },
            },
            { id: 'aliases', header: 'Aliases', cell: (m) => <Aliases list={(m.aliases ?? []).map((a) => `${a.alias} → v${a.version}`)} /> },
            { id: 'updated', header: 'Updated', cell: (m) => <span title={formatTime(m.last_updated_timestamp)}>{formatAgo(m.last_updated_timestamp)}</span> },
            { id: 'desc', header: 'Description', cell: (m) => m.description ?? '' },
          ]}
        />
      )}
    </>
  );
}

function Aliases({ list }: { list: string[] }) {
  return (
    <>
      {list.map((a) => (
        <span className="chip" key={a}>
          @{a}
        </span>
      ))}
    </>
  );
}

export function ModelPage() {
  const { ws } = useWorkspace();
  const { name = '' } = useParams();
  const [search] = useSearchParams();
  const selected = search.get('version'); // e.g. from an MLflow `#/models/<name>/versions/<v>` link
  const model = useApi(() => api.getModel(ws, name), [ws, name]);
  const versions = useApi(() => api.searchVersions(ws, name), [ws, name]);
  const sorted = [...(versions.data ?? [])].sort((a, b) => Number(b.version) - Number(a.version));
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={paths.models(ws)}>Models</Link> / <span>{name}</span>
      </nav>
      <div className="page-head">
        <h1>{name}</h1>
      </div>
      {model.error && <ErrorBox error={model.error} />}
      {model.data?.description && <p className="description">{model.data.description}</p>}
      {model.data?.tags && model.data.tags.length > 0 && (
        <p>
          {model.data.tags.map((t) => (
            <span className="chip" key={t.key}>
              {t.key}: {t.value}
            </span>
          ))}
        </p>
      )}
      <h2>Versions</h2>
      {versions.error && <ErrorBox error={versions.error} />}
      {!versions.data && !versions.error && <Loading what="versions" />}
      {versions.data && versions.data.length === 0 && <p className="muted">No versions yet.</p>}
      {sorted.length > 0 && (
        <KeyTable
          label={`Versions of ${name}`}
          testId="versions-table"
          rows={sorted}
          rowKey={(v) => v.version}
          rowClass={(v) => (v.version === selected ? 'selected' : '')}
          columns={[
            { id: 'v', header: 'Version', cell: (v) => `Version ${v.version}` },
            { id: 'aliases', header: 'Aliases', cell: (v) => <Aliases list={v.aliases ?? []} /> },
            { id: 'stage', header: 'Stage', cell: (v) => v.current_stage ?? '' },
            { id: 'status', header: 'Status', cell: (v) => <StatusBadge status={v.status} /> },
            { id: 'created', header: 'Registered', cell: (v) => formatTime(v.creation_timestamp) },
            {
              id: 'run',
              header: 'Source run',
              cell: (v) => (v.run_id ? <Link to={paths.run(ws, v.run_id)}>{v.run_id.slice(0, 8)}</Link> : <code className="wrap">{v.source}</code>),
            },
            { id: 'desc', header: 'Description', cell: (v) => v.description ?? '' },
          ]}
        />
      )}
    </>
  );
}
