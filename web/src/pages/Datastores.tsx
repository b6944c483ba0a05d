import { useState } from 'react';
import { api } from '../api/mlflow';
import { useApi } from '../lib/useApi';
import { useWorkspace } from '../lib/workspace';
import { Empty, ErrorBox, Loading } from '../components/States';
import { KeyTable } from '../components/KeyTable';
import { DatastoreFiles } from '../components/DatastoreFiles';

/** Datastores of the workspace: local folders and S3-compatible buckets, and a browser of the
 * files of the one picked (e.g. the notebooks compute instances keep under Users/<owner>/). */
export function DatastoresPage() {
  const { ws } = useWorkspace();
  const list = useApi(() => api.datastores(ws), [ws]);
  const [browsed, setBrowsed] = useState<string | null>(null);
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
            {
              id: 'name',
              header: 'Name',
              cell: (d) => (
                <button type="button" className="link" onClick={() => setBrowsed(d.name)}>
                  {d.name}
                </button>
              ),
            },
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
      {browsed && (
        <section aria-label={`Files of ${browsed}`}>
          <h2>Files of {browsed}</h2>
          <DatastoreFiles key={`${ws}/${browsed}`} ws={ws} uri={`azureml://datastores/${browsed}/paths/`} />
        </section>
      )}
    </>
  );
}
