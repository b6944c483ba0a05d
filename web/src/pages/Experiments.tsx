// Experiments of the workspace, newest activity first, with a "new experiment" form for writers.
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../api/mlflow';
import { useApi } from '../lib/useApi';
import { useCan, useWorkspace } from '../lib/workspace';
import { paths } from '../lib/urlState';
import { formatAgo, formatTime } from '../lib/format';
import { ErrorBox, FirstRunHint, Loading } from '../components/States';
import { KeyTable } from '../components/KeyTable';
import type { Experiment } from '../api/types';

export function ExperimentsPage() {
  const { ws } = useWorkspace();
  const canWrite = useCan('workspaces/experiments/write');
  const nav = useNavigate();
  const exps = useApi((s) => api.searchExperiments(ws, s), [ws]);
  const [name, setName] = useState('');
  const [err, setErr] = useState<Error | null>(null);
  // Further pages (500 experiments each) on request.
  const [more, setMore] = useState<{ list: Experiment[]; next?: string; ws: string }>({ list: [], ws });
  const next = more.ws === ws && more.list.length ? more.next : exps.data?.next;
  const loadMore = async () => {
    try {
      const r = await api.searchExperiments(ws, undefined, next);
      setMore((m) => ({ list: (m.ws === ws ? m.list : []).concat(r.experiments), next: r.next, ws }));
    } catch (x) {
      setErr(x as Error);
    }
  };

  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const r = await api.createExperiment(ws, name.trim());
      nav(paths.experiment(ws, r.experiment_id));
    } catch (x) {
      setErr(x as Error);
    }
  };

  const list = (exps.data?.experiments ?? []).concat(more.ws === ws ? more.list : []);
  const onlyDefault = list.length <= 1;
  return (
    <>
      <div className="page-head">
        <h1>Experiments</h1>
        {canWrite && (
          <form className="inline" onSubmit={create}>
            <label>
              <span className="sr-only">New experiment name</span>
              <input placeholder="New experiment name" value={name} onChange={(e) => setName(e.target.value)} required />
            </label>
            <button type="submit">Create</button>
          </form>
        )}
      </div>
      {err && <ErrorBox error={err} />}
      {exps.error && <ErrorBox error={exps.error} onRetry={exps.reload} />}
      {exps.loading && !exps.data && <Loading what="experiments" />}
      {exps.data && (
        <KeyTable
          label="Experiments"
          rows={list}
          rowKey={(e) => e.experiment_id}
          onOpen={(e) => nav(paths.experiment(ws, e.experiment_id))}
          columns={[
            { id: 'name', header: 'Name', cell: (e) => <Link to={paths.experiment(ws, e.experiment_id)}>{e.name}</Link> },
            { id: 'id', header: 'ID', cell: (e) => <code>{e.experiment_id}</code> },
            { id: 'updated', header: 'Last activity', cell: (e) => <span title={formatTime(e.last_update_time)}>{formatAgo(e.last_update_time)}</span> },
            { id: 'created', header: 'Created', cell: (e) => formatTime(e.creation_time) },
          ]}
        />
      )}
      {next && (
        <button type="button" onClick={loadMore}>
          Show more experiments
        </button>
      )}
      {exps.data && onlyDefault && (
        <div className="empty">
          <h3>No experiments yet</h3>
          <FirstRunHint ws={ws} />
        </div>
      )}
    </>
  );
}
