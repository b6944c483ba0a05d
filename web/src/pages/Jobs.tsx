// Jobs that mlws runs: the list (newest first) and one job with a live log tail, polled from
// /jobs/{name}/logs?offset=N until the server says the log is finished. A pipeline job also shows
// its graph, a sweep job its trials and charts; both follow the job by polling it while it runs.
import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../api/mlflow';
import { useApi } from '../lib/useApi';
import { useCan, useWorkspace } from '../lib/workspace';
import { paths } from '../lib/urlState';
import { formatDuration, formatTime } from '../lib/format';
import { Empty, ErrorBox, Loading } from '../components/States';
import { KeyTable } from '../components/KeyTable';
import { Fields } from '../components/Fields';
import { StatusBadge } from '../components/StatusBadge';
import { PipelineGraph } from '../components/PipelineGraph';
import { SweepView } from '../components/SweepView';
import type { Job } from '../api/types';

const LIVE = new Set(['Queued', 'Running', 'Starting', 'Preparing', 'Provisioning']);

function jobDuration(j: Job): string {
  if (!j.started_at) return '';
  return formatDuration((j.ended_at || Date.now()) - j.started_at);
}

export function JobsPage() {
  const { ws } = useWorkspace();
  const nav = useNavigate();
  const jobs = useApi(() => api.jobs(ws), [ws]);
  // Refresh while any job is still going.
  const live = (jobs.data ?? []).some((j) => LIVE.has(j.status));
  useEffect(() => {
    if (!live) return;
    const t = setInterval(jobs.reload, 3000);
    return () => clearInterval(t);
  }, [live, jobs.reload]);
  return (
    <>
      <div className="page-head">
        <h1>Jobs</h1>
      </div>
      {jobs.error && <ErrorBox error={jobs.error} onRetry={jobs.reload} />}
      {!jobs.data && !jobs.error && <Loading what="jobs" />}
      {jobs.data && jobs.data.length === 0 && (
        <Empty title="No jobs yet">
          <p>
            Submit one with <code>mlws job create -f job.yml --stream</code>.
          </p>
        </Empty>
      )}
      {jobs.data && jobs.data.length > 0 && (
        <KeyTable
          label="Jobs"
          rows={jobs.data}
          rowKey={(j) => j.name}
          onOpen={(j) => nav(paths.job(ws, j.name))}
          columns={[
            { id: 'name', header: 'Job', cell: (j) => <Link to={paths.job(ws, j.name)}>{j.display_name || j.name}</Link> },
            { id: 'status', header: 'Status', cell: (j) => <StatusBadge status={j.status} /> },
            { id: 'exp', header: 'Experiment', cell: (j) => (j.experiment_id ? <Link to={paths.experiment(ws, j.experiment_id)}>{j.experiment_name ?? j.experiment_id}</Link> : '') },
            { id: 'compute', header: 'Compute', cell: (j) => j.compute ?? '' },
            { id: 'created', header: 'Submitted', cell: (j) => formatTime(j.created_at) },
            { id: 'dur', header: 'Duration', cell: jobDuration },
          ]}
        />
      )}
    </>
  );
}

export function JobPage() {
  const { ws } = useWorkspace();
  const { name = '' } = useParams();
  const canCancel = useCan('workspaces/jobs/write');
  const job = useApi(() => api.job(ws, name), [ws, name]);
  const [cancelErr, setCancelErr] = useState<Error | null>(null);
  const live = job.data ? LIVE.has(job.data.status) : false;
  useEffect(() => {
    if (!live) return;
    const t = setInterval(job.reload, job.data?.type === 'command' ? 3000 : 1500);
    return () => clearInterval(t);
  }, [live, job.reload, job.data?.type]);

  if (job.error) return <ErrorBox error={job.error} onRetry={job.reload} />;
  if (!job.data) return <Loading what="job" />;
  const j = job.data;
  const cancel = async () => {
    try {
      await api.cancelJob(ws, name);
      job.reload();
    } catch (e) {
      setCancelErr(e as Error);
    }
  };
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={paths.jobs(ws)}>Jobs</Link> / <span>{j.display_name || j.name}</span>
      </nav>
      <div className="page-head">
        <h1>{j.display_name || j.name}</h1>
        <StatusBadge status={j.status} />
        {canCancel && live && (
          <button type="button" className="danger" onClick={cancel}>
            Cancel job
          </button>
        )}
      </div>
      {cancelErr && <ErrorBox error={cancelErr} />}
      <Fields
        rows={[
          ['Name', <code key="n">{j.name}</code>],
          ['Run', j.run_id ? <Link key="r" to={paths.run(ws, j.run_id)}>{j.run_id}</Link> : ''],
          ['Experiment', j.experiment_id ? <Link key="e" to={paths.experiment(ws, j.experiment_id)}>{j.experiment_name ?? j.experiment_id}</Link> : ''],
          ['Compute', j.compute],
          ['Command', j.command && <code key="c" className="wrap">{j.command}</code>],
          ['Submitted', formatTime(j.created_at)],
          ['Started', formatTime(j.started_at)],
          ['Ended', formatTime(j.ended_at)],
          ['Duration', jobDuration(j)],
          ['Exit code', j.exit_code ?? ''],
          ['Error', j.error],
        ]}
      />
      {j.type === 'pipeline' && (
        <>
          <h2>Steps</h2>
          <PipelineGraph ws={ws} job={j} />
        </>
      )}
      {j.type === 'sweep' && <SweepView ws={ws} job={j} />}
      <h2>Log</h2>
      <LogTail ws={ws} name={name} />
    </>
  );
}

/** Appends new log bytes every 1.5 s until `finished`; keeps the view pinned to the end. */
function LogTail({ ws, name }: { ws: string; name: string }) {
  const [text, setText] = useState('');
  const [done, setDone] = useState(false);
  const [err, setErr] = useState<Error | null>(null);
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const ctl = new AbortController();
    let offset = 0;
    let timer: ReturnType<typeof setTimeout>;
    setText('');
    setDone(false);
    const tick = async () => {
      try {
        const c = await api.jobLogs(ws, name, offset, ctl.signal);
        if (c.data) setText((t) => (t + c.data).slice(-2_000_000));
        offset = c.next_offset;
        if (c.finished) return setDone(true);
      } catch (e) {
        if ((e as Error).name === 'AbortError') return;
        return setErr(e as Error);
      }
      timer = setTimeout(tick, 1500);
    };
    void tick();
    return () => {
      ctl.abort();
      clearTimeout(timer);
    };
  }, [ws, name]);
  useEffect(() => {
    const el = pre.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [text]);
  if (err) return <ErrorBox error={err} />;
  return (
    <>
      <pre ref={pre} className="code log" aria-live="polite" data-testid="job-log">
        {text || (done ? '(empty log)' : 'Waiting for output…')}
      </pre>
      {!done && <p className="muted">Following the log…</p>}
    </>
  );
}
