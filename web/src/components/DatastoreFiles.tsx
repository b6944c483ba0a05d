// The files behind an asset's azureml://datastores/<ds>/paths/<p> URI: a folder browser with
// downloads (fetched with the saved credentials, like artifacts).
import { useState } from 'react';
import type { ApiError } from '../api/client';
import { api } from '../api/mlflow';
import { useApi } from '../lib/useApi';
import { formatBytes } from '../lib/format';
import { saveResponse } from '../lib/download';
import { ErrorBox, Loading } from './States';

/** azureml://datastores/<ds>/paths/<p> -> { ds, path }; null for other URIs. */
export function parseDatastoreUri(uri: string | undefined): { ds: string; path: string } | null {
  const m = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.*)$/.exec(uri ?? '');
  if (!m) return null;
  return { ds: m[1], path: m[2].replace(/\/+$/, '') };
}

export function DatastoreFiles({ ws, uri }: { ws: string; uri: string }) {
  const where = parseDatastoreUri(uri);
  const [folder, setFolder] = useState(where?.path ?? '');
  const files = useApi(() => (where ? api.datastoreFiles(ws, where.ds, folder) : Promise.resolve([])), [ws, where?.ds, folder]);
  if (!where) return <p className="muted">Files at {uri} are outside this server's datastores.</p>;
  const root = where.path;
  return (
    <div data-testid="asset-files">
      {folder !== root && (
        <p>
          <button type="button" className="link" onClick={() => setFolder(folder.slice(0, Math.max(0, folder.lastIndexOf('/'))))}>
            ↑ up
          </button>{' '}
          <code>{root ? folder.slice(root.length + 1) : folder}</code>
        </p>
      )}
      {files.error && (files.error as ApiError).status === 404 ? (
        <p className="muted">Nothing is stored at this path (yet).</p>
      ) : (
        files.error && <ErrorBox error={files.error} />
      )}
      {!files.data && !files.error && <Loading what="files" />}
      {files.data && files.data.length === 0 && <p className="muted">No files.</p>}
      {files.data && files.data.length > 0 && (
        <table className="kv" aria-label="Files">
          <thead>
            <tr>
              <th>Name</th>
              <th>Size</th>
            </tr>
          </thead>
          <tbody>
            {files.data.map((f) => {
              const name = f.path.split('/').pop() ?? f.path;
              return (
                <tr key={f.path}>
                  <td>
                    {f.is_dir ? (
                      <button type="button" className="link" onClick={() => setFolder(f.path)}>
                        {name}/
                      </button>
                    ) : (
                      <button type="button" className="link" onClick={() => void download(ws, where.ds, f.path)}>
                        {name}
                      </button>
                    )}
                  </td>
                  <td>{f.is_dir ? '' : formatBytes(f.file_size)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

async function download(ws: string, ds: string, path: string): Promise<void> {
  await saveResponse(await api.fetchDatastoreFile(ws, ds, path), path.split('/').pop() ?? 'file');
}
