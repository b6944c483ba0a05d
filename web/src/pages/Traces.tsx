// Traces of an experiment (MLflow 3 traces/search, or the 2.x list on an older server) and one
// trace's page: its span tree with timing bars, each span's inputs and outputs, and the
// assessments (feedback and expectations) on the trace.
import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../api/mlflow';
import { ApiError } from '../api/client';
import type { Assessment } from '../api/types';
import { useApi } from '../lib/useApi';
import { usePaged } from '../lib/usePaged';
import { useWorkspace } from '../lib/workspace';
import { paths } from '../lib/urlState';
import { formatDuration, formatTime, shortId } from '../lib/format';
import { assessmentKind, assessmentValue, fromV2, fromV3, preview, proxiedArtifactPath, type TraceRow } from '../lib/traces';
import { buildSpanTree, flattenTree, spansOf, timingBar, traceWindow, type Span, type SpanNode } from '../lib/spanTree';
import { Empty, ErrorBox, Loading } from '../components/States';
import { KeyTable } from '../components/KeyTable';
import { StatusBadge } from '../components/StatusBadge';
import { MoreButton } from './LoggedModels';

const notAvailable = (e: unknown) => e instanceof ApiError && e.notAvailable;

async function searchTraces(ws: string, experimentId: string, token: string | undefined): Promise<{ items: TraceRow[]; next?: string }> {
  try {
    const r = await api.searchTracesV3(ws, experimentId, token);
    return { items: r.items.map(fromV3), next: r.next };
  } catch (e) {
    if (!notAvailable(e)) throw e;
    const r = await api.searchTracesV2(ws, experimentId, token);
    return { items: r.items.map(fromV2), next: r.next };
  }
}

async function getTrace(ws: string, traceId: string): Promise<TraceRow> {
  try {
    return fromV3(await api.getTraceV3(ws, traceId));
  } catch (e) {
    if (!notAvailable(e)) throw e;
    return fromV2(await api.getTraceV2(ws, traceId));
  }
}

/** The spans, from traces.json at the trace's artifact location; null when it has none there. */
async function getSpans(ws: string, t: TraceRow): Promise<Span[] | null> {
  const root = proxiedArtifactPath(t.tags['mlflow.artifactLocation']);
  if (!root) return null;
  try {
    const res = await api.fetchProxied(ws, `${root}/traces.json`);
    return spansOf(await res.json());
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export function TracesTab({ ws, experimentId }: { ws: string; experimentId: string }) {
  const nav = useNavigate();
  const traces = usePaged((token) => searchTraces(ws, experimentId, token), (t) => t.id, [ws, experimentId]);
  if (traces.error && traces.items.length === 0) return <ErrorBox error={traces.error} onRetry={traces.reload} />;
  if (traces.loading && traces.items.length === 0) return <Loading what="traces" />;
  if (traces.items.length === 0)
    return (
      <Empty title="No traces in this experiment">
        <p>
          Trace a function with <code>@mlflow.trace</code>, or turn on autologging such as <code>mlflow.openai.autolog()</code>.
        </p>
      </Empty>
    );
  return (
    <>
      <KeyTable
        label="Traces"
        testId="traces-table"
        rows={traces.items}
        rowKey={(t) => t.id}
        onOpen={(t) => nav(paths.trace(ws, t.id))}
        columns={[
          { id: 'id', header: 'Trace', cell: (t) => <Link to={paths.trace(ws, t.id)}>{t.id}</Link> },
          { id: 'name', header: 'Name', cell: (t) => t.name },
          { id: 'request', header: 'Request', cell: (t) => <code title={t.request}>{preview(t.request)}</code> },
          { id: 'state', header: 'Status', cell: (t) => <StatusBadge status={t.state} /> },
          { id: 'time', header: 'Time', cell: (t) => formatTime(t.time) },
          { id: 'dur', header: 'Duration', cell: (t) => formatDuration(t.durationMs) },
          { id: 'assess', header: 'Assessments', cell: (t) => (t.assessments.length ? String(t.assessments.filter((a) => a.valid !== false).length) : '') },
        ]}
      />
      <MoreButton done={traces.done} loading={traces.loading} more={traces.more} error={traces.error} />
    </>
  );
}

export function TracePage() {
  const { ws } = useWorkspace();
  const { traceId = '' } = useParams();
  const trace = useApi(() => getTrace(ws, traceId), [ws, traceId]);
  const expId = trace.data?.experimentId;
  const exp = useApi(async () => (expId ? api.getExperiment(ws, expId) : undefined), [ws, expId]);
  const spans = useApi(async () => (trace.data ? getSpans(ws, trace.data) : undefined), [ws, trace.data]);
  if (trace.error) return <ErrorBox error={trace.error} onRetry={trace.reload} />;
  if (!trace.data) return <Loading what="trace" />;
  const t = trace.data;
  const fields: [string, React.ReactNode][] = [
    ['Trace ID', <code key="id">{t.id}</code>],
    ['Status', <StatusBadge key="s" status={t.state} />],
    ['Time', formatTime(t.time)],
    ['Duration', formatDuration(t.durationMs)],
    ['Source run', t.runId ? <Link key="r" to={paths.run(ws, t.runId)}>{shortId(t.runId)}</Link> : ''],
    ['Request', <code key="q" className="wrap">{t.request}</code>],
    ['Response', <code key="a" className="wrap">{t.response}</code>],
  ];
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={paths.experiments(ws)}>Experiments</Link> /{' '}
        {t.experimentId && <Link to={paths.experiment(ws, t.experimentId, 'traces')}>{exp.data?.name ?? t.experimentId}</Link>} / <span>{t.id}</span>
      </nav>
      <div className="page-head">
        <h1 data-testid="trace-name">{t.name || t.id}</h1>
        <StatusBadge status={t.state} />
      </div>
      <dl className="fields">
        {fields.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <h2>Spans</h2>
      {spans.error && <ErrorBox error={spans.error} onRetry={spans.reload} />}
      {!spans.error && spans.loading && <Loading what="spans" />}
      {!spans.loading && !spans.error && (!spans.data || spans.data.length === 0) && <p className="muted">This trace has no span data on the server.</p>}
      {spans.data && spans.data.length > 0 && <SpanTree spans={spans.data} />}
      <h2>Assessments</h2>
      <Assessments list={t.assessments} />
    </>
  );
}

function SpanTree({ spans }: { spans: Span[] }) {
  const rows = useMemo(() => flattenTree(buildSpanTree(spans)), [spans]);
  const window = useMemo(() => traceWindow(spans), [spans]);
  const [selId, setSelId] = useState<string | null>(null);
  const sel = rows.find((r) => r.id === selId) ?? rows[0];
  return (
    <div className="spans">
      <ul className="span-tree" aria-label="Span tree" data-testid="span-tree">
        {rows.map((n) => (
          <SpanRow key={n.id} node={n} window={window} selected={n === sel} onSelect={() => setSelId(n.id)} />
        ))}
      </ul>
      {sel && <SpanDetail span={sel} start={window[0]} />}
    </div>
  );
}

function SpanRow({ node, window, selected, onSelect }: { node: SpanNode; window: [number, number]; selected: boolean; onSelect: () => void }) {
  const bar = timingBar(node, window);
  const dur = node.end === null ? null : node.end - node.start;
  return (
    <li data-depth={node.depth} data-testid="span-row">
      <button type="button" className={`span-row ${selected ? 'sel' : ''}`} aria-pressed={selected} onClick={onSelect}>
        <span className="span-label" style={{ paddingLeft: node.depth * 16 }}>
          {node.name}
          {node.type && <span className="chip">{node.type}</span>}
          {node.orphan && <span className="muted" title={`parent ${node.parentId} is not in this trace`}> (orphan)</span>}
        </span>
        <StatusBadge status={node.status} />
        <span className="span-dur">{dur === null ? 'running' : formatDuration(dur)}</span>
        <span className="span-bar" aria-hidden="true">
          <span className={`span-bar-fill ${node.status === 'ERROR' ? 'bad' : ''}`} style={{ left: `${bar.left}%`, width: `${bar.width}%` }} />
        </span>
      </button>
    </li>
  );
}

function SpanDetail({ span, start }: { span: Span; start: number }) {
  const rest = Object.entries(span.attributes).filter(([k]) => !['mlflow.spanInputs', 'mlflow.spanOutputs', 'mlflow.spanType', 'mlflow.traceRequestId'].includes(k));
  return (
    <section className="span-detail" aria-label={`Span ${span.name}`} data-testid="span-detail">
      <h3>{span.name}</h3>
      <p className="muted">
        {span.type || 'span'} · starts at +{formatDuration(span.start - start)} · {span.end === null ? 'not ended' : formatDuration(span.end - span.start)}
        {span.statusMessage && ` · ${span.statusMessage}`}
      </p>
      <h4>Inputs</h4>
      <Json value={span.inputs} testId="span-inputs" />
      <h4>Outputs</h4>
      <Json value={span.outputs} testId="span-outputs" />
      {rest.length > 0 && (
        <details>
          <summary>Attributes ({rest.length})</summary>
          <Json value={Object.fromEntries(rest)} testId="span-attributes" />
        </details>
      )}
    </section>
  );
}

function Json({ value, testId }: { value: unknown; testId: string }) {
  if (value === undefined) return <p className="muted">None</p>;
  return (
    <pre className="code" data-testid={testId}>
      {typeof value === 'string' ? value : JSON.stringify(value, null, 2)}
    </pre>
  );
}

function Assessments({ list }: { list: Assessment[] }) {
  if (list.length === 0)
    return (
      <p className="muted">
        No assessments. Add one with <code>mlflow.log_feedback(trace_id=…, name="correct", value=True)</code>.
      </p>
    );
  return (
    <KeyTable
      label="Assessments"
      testId="assessments-table"
      rows={list}
      rowKey={(a) => a.assessment_id}
      rowClass={(a) => (a.valid === false ? 'archived' : '')}
      columns={[
        { id: 'name', header: 'Name', cell: (a) => a.assessment_name },
        { id: 'kind', header: 'Kind', cell: (a) => assessmentKind(a) },
        { id: 'value', header: 'Value', cell: (a) => <code className="wrap">{assessmentValue(a)}</code> },
        { id: 'source', header: 'Source', cell: (a) => [a.source?.source_type, a.source?.source_id].filter(Boolean).join(': ') },
        { id: 'rationale', header: 'Rationale', cell: (a) => <span className="wrap">{a.rationale ?? ''}</span> },
        { id: 'span', header: 'Span', cell: (a) => (a.span_id ? <code>{a.span_id}</code> : '') },
        { id: 'time', header: 'Updated', cell: (a) => (a.valid === false ? 'overridden' : a.last_update_time ? formatTime(Date.parse(a.last_update_time)) : '') },
      ]}
    />
  );
}
