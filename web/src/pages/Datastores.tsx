import { api } from '../api/mlflow';
import { useApi } from '../lib/useApi';
import { useWorkspace } from '../lib/workspace';
import { Empty, ErrorBox, Loading } from '../components/States';
import { KeyTable } from '../components/KeyTable';

/** Datastores of the workspace: local folders and S3-compatible buckets. */
export function DatastoresPage() {
  const { ws } = useWorkspace();
  const list = useApi(() => api.datastores(ws), [ws]);
  return (
    <>
      <div className="page-head">
        <h1>Datastores</h1>
      </div>
      {list.error && <ErrorBox error={list.error} onRetry={list.reload} />}
      {!list.data && !list.error && <Loading what="datastores" />}
      {list.data && list.data.length === 0 && (
        <Empty title="No datastores">
          <p>
            Attach one with <code>mlws datastore create -f datastore.yml</code>.
          </p>
        </Empty>
      )}
      {list.data && list.data.length > 0 && (
        <KeyTable
          label="Datastores"
          rows={list.data}
          rowKey={(d) => d.name}
          columns={[
            { id: 'name', header: 'Name', cell: (d) => d.name },
            { id: 'type', header: 'Type', cell: (d) => d.type },
            { id: 'default', header: 'Default', cell: (d) => (d.is_default ? <span className="chip">default</span> : '') },
            {
              id: 'where',
              header: 'Location',
              cell: (d) => <code className="wrap">{String(d.path ?? d.root ?? d.bucket ?? d.endpoint ?? d.url ?? '')}</code>,
            },
            { id: 'desc', header: 'Description', cell: (d) => String(d.description ?? '') },
          ]}
        />
      )}
    </>
  );
}
