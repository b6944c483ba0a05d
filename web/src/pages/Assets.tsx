// Versioned assets of the mlws API: data, environments, components (and models as assets).
// List of latest versions (optionally all versions / archived), one asset's versions with its
// spec, and the lineage of a version (the run that produced it, the runs that used it).
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api } from '../api/mlflow';
import { useApi } from '../lib/useApi';
import { useWorkspace } from '../lib/workspace';
import { paths } from '../lib/urlState';
import { formatTime } from '../lib/format';
import { Empty, ErrorBox, Loading, NotAvailable } from '../components/States';
import { KeyTable } from '../components/KeyTable';
import { StatusBadge } from '../components/StatusBadge';
import type { Asset, RunSummary } from '../api/types';
import { DatastoreFiles } from '../components/DatastoreFiles';

// Routes are /workspaces/<ws>/<kind>[/<name>?version=V]. (Not under /assets/: the server keeps
// that prefix for the studio's hashed files.) Models have their own pages (the MLflow registry).
export const ASSET_KINDS = ['data', 'environments', 'components'] as const;
const KINDS: Record<string, { title: string; cli: string }> = {
  data: { title: 'Data assets', cli: 'mlws data create -f data.yml' },
  environments: { title: 'Environments', cli: 'mlws environment create -f env.yml' },
  components: { title: 'Components', cli: 'mlws component create -f component.yml' },
};

export function AssetsPage({ kind }: { kind: string }) {
  const { ws } = useWorkspace();
  const [sp, setSp] = useSearchParams();
  const nav = useNavigate();
  const all = sp.get('all_versions') === '1';
  const archived = sp.get('archived') === '1';
  const meta = KINDS[kind];
  const list = useApi(() => api.assets(ws, kind, { all_versions: all || undefined, include_archived: archived || undefined }), [ws, kind, all, archived]);
  const flag = (k: string, on: boolean) => {
    const n = new URLSearchParams(sp);
    if (on) n.set(k, '1');
    else n.delete(k);
    setSp(n, { replace: true });
  };
  if (!meta) return <Empty title="Unknown asset kind" />;
  return (
    <>
      <div className="page-head">
        <h1>{meta.title}</h1>
        <label>
          <input type="checkbox" checked={all} onChange={(e) => flag('all_versions', e.target.checked)} /> All versions
        </label>
        <label>
          <input type="checkbox" checked={archived} onChange={(e) => flag('archived', e.target.checked)} /> Include archived
        </label>
      </div>
      {list.error && <ErrorBox error={list.error} onRetry={list.reload} />}
      {!list.data && !list.error && <Loading what={meta.title.toLowerCase()} />}
      {list.data && list.data.length === 0 && (
        <Empty title={`No ${meta.title.toLowerCase()} yet`}>
          <p>
            Create one from a YAML spec: <code>{meta.cli}</code>
          </p>
        </Empty>
      )}
      {list.data && list.data.length > 0 && (
        <KeyTable
          label={meta.title}
          testId="assets-table"
          rows={list.data}
          rowKey={(a) => a.id || `${a.name}:${a.version}`}
          onOpen={(a) => nav(paths.asset(ws, kind, a.name, a.version))}
          rowClass={(a) => (a.archived ? 'archived' : '')}
          columns={[
            { id: 'name', header: 'Name', cell: (a) => <Link to={paths.asset(ws, kind, a.name, a.version)}>{a.name}</Link> },
            { id: 'version', header: 'Version', cell: (a) => a.version },
            { id: 'type', header: 'Type', cell: (a) => a.type ?? '' },
            { id: 'desc', header: 'Description', cell: (a) => a.description ?? '' },
            { id: 'created', header: 'Created', cell: (a) => formatTime(a.created_at) },
            { id: 'by', header: 'By', cell: (a) => a.created_by ?? '' },
            { id: 'arch', header: '', cell: (a) => (a.archived ? <span className="chip">archived</span> : null) },
          ]}
        />
      )}
    </>
  );
}

export function AssetPage({ kind }: { kind: string }) {
  const { ws } = useWorkspace();
  const { name = '' } = useParams();
  const [sp, setSp] = useSearchParams();
  const meta = KINDS[kind] ?? { title: kind, cli: '' };
  const versions = useApi(() => api.assetVersions(ws, kind, name), [ws, kind, name]);
  const sorted = [...(versions.data ?? [])].sort((a, b) => compareVersions(b.version, a.version));
  const chosen = sp.get('version') ?? sorted[0]?.version;
  const asset = sorted.find((a) => a.version === chosen);
  const pick = (v: string) => {
    const n = new URLSearchParams(sp);
    n.set('version', v);
    setSp(n);
  };
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={paths.assets(ws, kind)}>{meta.title}</Link> / <span>{name}</span>
      </nav>
      <div className="page-head">
        <h1>{name}</h1>
        {sorted.length > 0 && (
          <label>
            Version{' '}
            <select aria-label="Version" value={chosen} onChange={(e) => pick(e.target.value)}>
              {sorted.map((a) => (
                <option key={a.version} value={a.version}>
                  {a.version}
                  {a.archived ? ' (archived)' : ''}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {versions.error && <ErrorBox error={versions.error} />}
      {!versions.data && !versions.error && <Loading what="versions" />}
      {asset && <AssetDetail ws={ws} kind={kind} asset={asset} />}
    </>
  );
}

/** "10" > "9"; non-numeric versions compare as text. */
export function compareVersions(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a.localeCompare(b, undefined, { numeric: true });
}

function AssetDetail({ ws, kind, asset }: { ws: string; kind: string; asset: Asset }) {
  const lineage = useApi(() => api.assetLineage(ws, kind, asset.name, asset.version), [ws, kind, asset.name, asset.version]);
  return (
    <div className="two-col">
      <div>
        <dl className="fields">
          {(
            [
              ['ID', <code key="i">{asset.id}</code>],
              ['Type', asset.type],
              ['Path', asset.path && <code key="p">{asset.path}</code>],
              ['Created', formatTime(asset.created_at)],
              ['Created by', asset.created_by],
              ['Archived', asset.archived ? 'yes' : 'no'],
              ['Description', asset.description],
            ] as [string, React.ReactNode][]
          ).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v || <span className="muted">–</span>}</dd>
            </div>
          ))}
        </dl>
        {Object.keys(asset.tags ?? {}).length > 0 && (
          <p>
            {Object.entries(asset.tags ?? {}).map(([k, v]) => (
              <span className="chip" key={k}>
                {k}: {v}
              </span>
            ))}
          </p>
        )}
        {filesUri(asset) && (
          <>
            <h2>Files</h2>
            <DatastoreFiles key={filesUri(asset)} ws={ws} uri={filesUri(asset) as string} />
          </>
        )}
        {asset.spec !== undefined && (
          <>
            <h2>Spec</h2>
            <pre className="code">{JSON.stringify(asset.spec, null, 2)}</pre>
          </>
        )}
      </div>
      <div data-testid="asset-lineage">
        <h2>Lineage</h2>
        {lineage.error && (lineage.error as { notAvailable?: boolean }).notAvailable ? (
          <NotAvailable what="Lineage" />
        ) : lineage.error ? (
          <ErrorBox error={lineage.error} />
        ) : !lineage.data ? (
          <Loading what="lineage" />
        ) : (
          <>
            <h3>Produced by</h3>
            {lineage.data.produced_by_run ? <RunLink ws={ws} r={lineage.data.produced_by_run} /> : <p className="muted">Not produced by a tracked run.</p>}
            <h3>Used by</h3>
            {lineage.data.used_by_runs.length === 0 ? (
              <p className="muted">No run has used this version yet.</p>
            ) : (
              <ul>
                {lineage.data.used_by_runs.map((r) => (
                  <li key={r.run_id}>
                    <RunLink ws={ws} r={r} />
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </div>
    </div>
  );
}

/** Where an asset's files are: a model's or data's path, a component's code, an environment's build context. */
function filesUri(asset: Asset): string | undefined {
  const spec = (asset.spec ?? {}) as { code?: unknown; build?: { path?: unknown } };
  const uri = asset.path || (typeof spec.code === 'string' ? spec.code : undefined) || (typeof spec.build?.path === 'string' ? spec.build.path : undefined);
  return uri && uri.startsWith('azureml://datastores/') ? uri : undefined;
}

function RunLink({ ws, r }: { ws: string; r: RunSummary }) {
  return (
    <span>
      <Link to={paths.run(ws, r.run_id)}>{r.run_name || r.run_id}</Link> <StatusBadge status={r.status} />
    </span>
  );
}
