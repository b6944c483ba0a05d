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

/** Where the files come from: a run's artifacts, or a folder of the proxied artifact store. */
export interface ArtifactSource {
  /** Changes when the source does (a dependency for loading). */
  key: string;
  list: (path?: string) => Promise<FileInfo[]>;
  fetch: (path: string) => Promise<Response>;
}

export function runArtifacts(ws: string, runId: string): ArtifactSource {
  return { key: `run:${ws}:${runId}`, list: (p) => api.listArtifacts(ws, runId, p), fetch: (p) => api.fetchArtifact(ws, runId, p) };
}

/** Files below `root`, a path under mlflow-artifacts:/ (e.g. a logged model's artifacts). */
export function proxiedArtifacts(ws: string, root: string): ArtifactSource {
  return { key: `proxied:${ws}:${root}`, list: (p) => api.listProxied(ws, root, p), fetch: (p) => api.fetchProxied(ws, `${root}/${p}`) };
}

export function ArtifactBrowser({ source }: { source: ArtifactSource }) {
  const [selected, setSelected] = useState<FileInfo | null>(null);
  const root = useApi(() => source.list(), [source.key]);
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
          <TreeNode key={f.path} source={source} file={f} selected={selected} onSelect={setSelected} />
        ))}
      </ul>
      <div className="preview" aria-live="polite">
        {selected ? <Preview source={source} file={selected} /> : <p className="muted">Select a file to preview it.</p>}
      </div>
    </div>
  );
}

function TreeNode({ source, file, selected, onSelect }: { source: ArtifactSource; file: FileInfo; selected: FileInfo | null; onSelect: (f: FileInfo) => void }) {
  const [open, setOpen] = useState(false);
  const [children, setChildren] = useState<FileInfo[] | null>(null);
  const [err, setErr] = useState<Error | null>(null);
  const name = file.path.split('/').pop();
  const toggle = async () => {
    if (!file.is_dir) return onSelect(file);
    setOpen(!open);
    if (!children) {
      try {
        setChildren(await source.list(file.path));
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
            <TreeNode key={c.path} source={source} file={c} selected={selected} onSelect={onSelect} />
          ))}
        </ul>
      )}
    </li>
  );
}

export function Preview({ source, file }: { source: ArtifactSource; file: FileInfo }) {
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
    source
      .fetch(file.path)
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
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [source.key, file.path, kind]);
  return (
    <div>
      <div className="preview-head">
        <strong>{file.path}</strong> <span className="muted">{formatBytes(file.file_size)}</span>{' '}
        <button type="button" className="link" onClick={() => download(source, file.path)}>
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
async function download(source: ArtifactSource, path: string): Promise<void> {
  await saveResponse(await source.fetch(path), path.split('/').pop() ?? 'artifact');
}
