// Artifact browser: a lazily expanded folder tree (artifacts/list) and a preview pane for text and
// images (fetched with credentials through /get-artifact, shown from a blob URL).
import { useEffect, useState } from 'react';
import { api } from '../api/mlflow';
import type { FileInfo } from '../api/types';
import { formatBytes, previewKind } from '../lib/format';
import { ErrorBox, Empty, Loading } from './States';
import { useApi } from '../lib/useApi';
import { saveResponse } from '../lib/download';

const TEXT_LIMIT = 256 * 1024;

export function ArtifactBrowser({ ws, runId }: { ws: string; runId: string }) {
  const [selected, setSelected] = useState<FileInfo | null>(null);
  const root = useApi(() => api.listArtifacts(ws, runId), [ws, runId]);
  if (root.error) return <ErrorBox error={root.error} />;
  if (!root.data) return <Loading what="artifacts" />;
  if (root.data.length === 0)
    return (
      <Empty title="No artifacts">
        <p>
          Log files with <code>mlflow.log_artifact("model.pkl")</code> or <code>mlflow.log_text("hi", "notes.txt")</code>.
        </p>
      </Empty>
    );
  return (
    <div className="artifacts">
      <ul className="tree" role="tree" aria-label="Artifacts">
        {root.data.map((f) => (
          <TreeNode key={f.path} ws={ws} runId={runId} file={f} selected={selected} onSelect={setSelected} />
        ))}
      </ul>
      <div className="preview" aria-live="polite">
        {selected ? <Preview ws={ws} runId={runId} file={selected} /> : <p className="muted">Select a file to preview it.</p>}
      </div>
    </div>
  );
}

function TreeNode({ ws, runId, file, selected, onSelect }: { ws: string; runId: string; file: FileInfo; selected: FileInfo | null; onSelect: (f: FileInfo) => void }) {
  const [open, setOpen] = useState(false);
  const [children, setChildren] = useState<FileInfo[] | null>(null);
  const [err, setErr] = useState<Error | null>(null);
  const name = file.path.split('/').pop();
  const toggle = async () => {
    if (!file.is_dir) return onSelect(file);
    setOpen(!open);
    if (!children) {
      try {
        setChildren(await api.listArtifacts(ws, runId, file.path));
      } catch (e) {
        setErr(e as Error);
      }
    }
  };
  return (
    <li role="treeitem" aria-expanded={file.is_dir ? open : undefined} aria-selected={selected?.path === file.path}>
      <button type="button" className={`node ${selected?.path === file.path ? 'sel' : ''}`} onClick={toggle}>
        {file.is_dir ? (open ? '▾ ' : '▸ ') : '  '}
        {name}
        {!file.is_dir && <span className="muted"> {formatBytes(file.file_size)}</span>}
      </button>
      {err && <ErrorBox error={err} />}
      {open && children && (
        <ul role="group">
          {children.map((c) => (
            <TreeNode key={c.path} ws={ws} runId={runId} file={c} selected={selected} onSelect={onSelect} />
          ))}
        </ul>
      )}
    </li>
  );
}

export function Preview({ ws, runId, file }: { ws: string; runId: string; file: FileInfo }) {
  const kind = previewKind(file.path);
  const [text, setText] = useState<string | null>(null);
  const [img, setImg] = useState<string | null>(null);
  const [err, setErr] = useState<Error | null>(null);
  useEffect(() => {
    let url: string | null = null;
    let live = true;
    setText(null);
    setImg(null);
    setErr(null);
    if (kind === 'none') return;
    api
      .fetchArtifact(ws, runId, file.path)
      .then(async (res) => {
        const blob = await res.blob();
        if (!live) return;
        if (kind === 'image') {
          url = URL.createObjectURL(blob);
          setImg(url);
        } else {
          const t = await blob.slice(0, TEXT_LIMIT).text();
          if (live) setText(blob.size > TEXT_LIMIT ? t + `\n… (${formatBytes(blob.size)} in all; download to see the rest)` : t);
        }
      })
      .catch((e) => live && setErr(e));
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [ws, runId, file.path, kind]);
  return (
    <div>
      <div className="preview-head">
        <strong>{file.path}</strong> <span className="muted">{formatBytes(file.file_size)}</span>{' '}
        <button type="button" className="link" onClick={() => download(ws, runId, file.path)}>
          Download
        </button>
      </div>
      {err && <ErrorBox error={err} />}
      {kind === 'none' && <p className="muted">No preview for this file type.</p>}
      {img && <img src={img} alt={file.path} className="preview-img" />}
      {text !== null && <pre className="code" data-testid="artifact-text">{text}</pre>}
    </div>
  );
}

/** Downloads through fetch (a plain link could not send the saved credentials). */
async function download(ws: string, runId: string, path: string): Promise<void> {
  await saveResponse(await api.fetchArtifact(ws, runId, path), path.split('/').pop() ?? 'artifact');
}
