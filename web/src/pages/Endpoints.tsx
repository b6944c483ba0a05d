// Online endpoints: the list, and one endpoint with its deployments, the traffic split (editable
// when whoami allows workspaces/onlineEndpoints/write; saved with PATCH, which the server
// validates), charts of the last hour from GET …/stats (requests, errors, latency percentiles per
// minute, re-read every 5 s) and a deployment's instance log tail (re-read every 3 s).
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api } from '../api/mlflow';
import { useApi } from '../lib/useApi';
import { useCan, useWorkspace } from '../lib/workspace';
import { paths } from '../lib/urlState';
import { formatNumber, formatTime } from '../lib/format';
import { parseTraffic, statsSeries, statsTotals, trafficSummary, type Series } from '../lib/endpoints';
import { Empty, ErrorBox, Loading } from '../components/States';
import { KeyTable } from '../components/KeyTable';
import { Fields } from '../components/Fields';
import { StatusBadge } from '../components/StatusBadge';
import { MetricChart } from '../components/MetricChart';
import type { OnlineDeployment, OnlineEndpoint } from '../api/types';

const traffic = (e: OnlineEndpoint) => (e.traffic ?? {}) as Record<string, number>;

export function EndpointsPage() {
  const { ws } = useWorkspace();
  const nav = useNavigate();
  const eps = useApi(() => api.endpoints(ws), [ws]);
  return (
    <>
      <div className="page-head">
        <h1>Endpoints</h1>
      </div>
      {eps.error && <ErrorBox error={eps.error} onRetry={eps.reload} />}
      {!eps.data && !eps.error && <Loading what="endpoints" />}
      {eps.data && eps.data.length === 0 && (
        <Empty title="No online endpoints yet">
          <p>
            Create one with <code>mlws online-endpoint create -f endpoint.yml</code>, then a deployment with{' '}
            <code>mlws online-deployment create -f blue.yml --all-traffic</code>.
          </p>
        </Empty>
      )}
      {eps.data && eps.data.length > 0 && (
        <KeyTable
          label="Online endpoints"
          testId="endpoints"
          rows={eps.data}
          rowKey={(e) => e.name}
          onOpen={(e) => nav(paths.endpoint(ws, e.name))}
          columns={[
            { id: 'name', header: 'Endpoint', cell: (e) => <Link to={paths.endpoint(ws, e.name)}>{e.name}</Link> },
            { id: 'auth', header: 'Auth', cell: (e) => e.auth_mode },
            { id: 'traffic', header: 'Traffic', cell: (e) => trafficSummary(traffic(e)) },
            { id: 'uri', header: 'Scoring URI', cell: (e) => <code className="wrap">{e.scoring_uri}</code> },
            { id: 'updated', header: 'Updated', cell: (e) => formatTime(e.updated_ms) },
          ]}
        />
      )}
    </>
  );
}

export function EndpointPage() {
  const { ws } = useWorkspace();
  const { name = '' } = useParams();
  const ep = useApi(() => api.endpoint(ws, name), [ws, name]);
  const deps = useApi(() => api.deployments(ws, name), [ws, name]);
  // Deployments still provisioning: follow them until they settle.
  const settling = (deps.data ?? []).some((d) => d.provisioning_state === 'Creating' || d.provisioning_state === 'Updating');
  useEffect(() => {
    if (!settling) return;
    const t = setInterval(deps.reload, 2000);
    return () => clearInterval(t);
  }, [settling, deps.reload]);

  if (ep.error) return <ErrorBox error={ep.error} onRetry={ep.reload} />;
  if (!ep.data) return <Loading what="endpoint" />;
  const e = ep.data;
  const mirror = (e.mirror_traffic ?? {}) as Record<string, number>;
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={paths.endpoints(ws)}>Endpoints</Link> / <span>{e.name}</span>
      </nav>
      <div className="page-head">
        <h1>{e.name}</h1>
        <span className="muted">{trafficSummary(traffic(e))}</span>
      </div>
      <Fields
        rows={[
          ['Scoring URI', <code key="u">{e.scoring_uri}</code>],
          ['Auth mode', e.auth_mode],
          ['Mirror', Object.keys(mirror).length ? Object.entries(mirror).map(([k, v]) => `${k} ${v}%`).join(', ') : ''],
          ['Description', e.description],
          ['Updated', formatTime(e.updated_ms)],
        ]}
      />
      <h2>Deployments</h2>
      {deps.error && <ErrorBox error={deps.error} onRetry={deps.reload} />}
      {deps.data && deps.data.length === 0 && (
        <Empty title="No deployments yet">
          <p>
            Add one with <code>mlws online-deployment create -f blue.yml --all-traffic</code>.
          </p>
        </Empty>
      )}
      {deps.data && deps.data.length > 0 && (
        <>
          <KeyTable
            label="Deployments"
            testId="deployments"
            rows={deps.data}
            rowKey={(d) => d.name}
            columns={[
              { id: 'name', header: 'Deployment', cell: (d) => d.name },
              { id: 'state', header: 'State', cell: (d) => <StatusBadge status={d.provisioning_state} /> },
              { id: 'traffic', header: 'Traffic', cell: (d) => `${traffic(e)[d.name] ?? 0}%` },
              { id: 'inst', header: 'Instances', cell: (d) => `${d.instances?.length ?? 0} / ${d.instance_count}` },
              {
                id: 'model',
                header: 'Model',
                cell: (d) => (
                  <span title={d.model_ref ?? ''}>{(d.model_ref ?? '').length > 60 ? `…${(d.model_ref ?? '').slice(-59)}` : d.model_ref}</span>
                ),
              },
              { id: 'err', header: 'Error', cell: (d) => d.error ?? '' },
            ]}
          />
          <TrafficEditor ws={ws} endpoint={e} deployments={deps.data} onSaved={ep.reload} />
        </>
      )}
      <h2>Last hour</h2>
      <EndpointCharts ws={ws} name={name} />
      {deps.data && deps.data.length > 0 && <InstanceLog ws={ws} endpoint={name} deployments={deps.data} />}
    </>
  );
}

function TrafficEditor({ ws, endpoint, deployments, onSaved }: { ws: string; endpoint: OnlineEndpoint; deployments: OnlineDeployment[]; onSaved: () => void }) {
  const canEdit = useCan('workspaces/onlineEndpoints/write');
  const current = traffic(endpoint);
  const initial = () => Object.fromEntries(deployments.map((d) => [d.name, String(current[d.name] ?? 0)]));
  const [fields, setFields] = useState<Record<string, string>>(initial);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const key = JSON.stringify(current) + deployments.map((d) => d.name).join(',');
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => setFields(initial()), [key]);
  if (!canEdit) return null;
  const parsed = parseTraffic(fields);
  const sum = Object.values(fields).reduce((a, v) => a + (Number(v) || 0), 0);
  const save = async () => {
    if ('error' in parsed) return;
    setSaving(true);
    setMsg(null);
    try {
      await api.updateEndpoint(ws, endpoint.name, { traffic: parsed.traffic });
      setMsg({ ok: true, text: `Traffic is now ${trafficSummary(parsed.traffic)}.` });
      onSaved();
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    } finally {
      setSaving(false);
    }
  };
  return (
    <form
      className="traffic-editor"
      aria-label="Traffic split"
      data-testid="traffic-editor"
      onSubmit={(ev) => {
        ev.preventDefault();
        void save();
      }}
    >
      <h3>Traffic split</h3>
      {deployments.map((d) => (
        <label key={d.name}>
          {d.name}
          <input
            type="number"
            min={0}
            max={100}
            step={1}
            inputMode="numeric"
            aria-label={`Traffic to ${d.name} (%)`}
            value={fields[d.name] ?? '0'}
            onChange={(ev) => setFields((f) => ({ ...f, [d.name]: ev.target.value }))}
          />
          %
        </label>
      ))}
      <span className={sum === 100 || sum === 0 ? 'muted' : 'bad-text'}>total {sum}%</span>
      <button type="submit" className="primary" disabled={saving || 'error' in parsed}>
        Save traffic
      </button>
      {'error' in parsed && <p className="muted">{parsed.error}</p>}
      {msg && (
        <p className={msg.ok ? 'ok-text' : 'error'} role={msg.ok ? 'status' : 'alert'}>
          {msg.text}
        </p>
      )}
    </form>
  );
}

function EndpointCharts({ ws, name }: { ws: string; name: string }) {
  const stats = useApi((signal) => api.endpointStats(ws, name, 60, signal), [ws, name]);
  useEffect(() => {
    const t = setInterval(stats.reload, 5000);
    return () => clearInterval(t);
  }, [stats.reload]);
  const deps = stats.data?.deployments;
  const series = useMemo(() => (deps ? statsSeries(deps) : null), [deps]);
  const totals = useMemo(() => (deps ? statsTotals(deps) : []), [deps]);
  if (stats.error && !stats.data) return <ErrorBox error={stats.error} onRetry={stats.reload} />;
  if (!series) return <Loading what="request statistics" />;
  const nonEmpty = (s: Series[]) => s.filter((x) => x.values.length > 0);
  // Every chart spans the whole window, even when only a minute or two had requests.
  const pts = deps?.[0]?.points ?? [];
  const range: [number, number] | undefined = pts.length ? [pts[0].time / 1000, pts[pts.length - 1].time / 1000 + 60] : undefined;
  return (
    <>
      <KeyTable
        label="Requests in the last hour"
        testId="endpoint-totals"
        rows={totals}
        rowKey={(t) => t.name}
        columns={[
          { id: 'd', header: 'Deployment', cell: (t) => t.name },
          { id: 'r', header: 'Requests', cell: (t) => <span data-testid={`requests-${t.name}`}>{t.requests}</span> },
          { id: 'c', header: '4xx', cell: (t) => <span data-testid={`client-errors-${t.name}`}>{t.client_errors}</span> },
          { id: 's', header: '5xx', cell: (t) => <span data-testid={`server-errors-${t.name}`}>{t.server_errors}</span> },
          { id: 'p', header: 'Worst p99', cell: (t) => (t.max_p99_ms === null ? '' : `${formatNumber(t.max_p99_ms)} ms`) },
        ]}
      />
      {totals.every((t) => t.requests === 0) ? (
        <p className="muted">No scoring requests in the last hour.</p>
      ) : (
        <div className="chart-grid">
          <MetricChart title="requests per minute" runs={nonEmpty(series.requests)} xAxis="time" smoothing={0} height={200} xRange={range} />
          <MetricChart title="errors per minute" runs={nonEmpty(series.errors)} xAxis="time" smoothing={0} height={200} xRange={range} />
          {nonEmpty(series.latency).length > 0 && (
            <MetricChart title="latency ms (p50, p90, p99)" runs={nonEmpty(series.latency)} xAxis="time" smoothing={0} height={200} xRange={range} points />
          )}
        </div>
      )}
    </>
  );
}

function InstanceLog({ ws, endpoint, deployments }: { ws: string; endpoint: string; deployments: OnlineDeployment[] }) {
  const [sp, setSp] = useSearchParams();
  const chosen = sp.get('deployment');
  const name = deployments.some((d) => d.name === chosen) ? (chosen as string) : deployments[0].name;
  const [text, setText] = useState<string | null>(null);
  const [err, setErr] = useState<Error | null>(null);
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout>;
    setText(null);
    setErr(null);
    const tick = async () => {
      try {
        setText(await api.deploymentLogs(ws, endpoint, name, 200, ctl.signal));
        setErr(null);
      } catch (e) {
        if ((e as Error).name === 'AbortError') return;
        setErr(e as Error);
      }
      timer = setTimeout(tick, 3000);
    };
    void tick();
    return () => {
      ctl.abort();
      clearTimeout(timer);
    };
  }, [ws, endpoint, name]);
  useEffect(() => {
    const el = pre.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [text]);
  return (
    <>
      <div className="toolbar">
        <h2>Instance log</h2>
        <label>
          Deployment{' '}
          <select
            value={name}
            onChange={(ev) => {
              const next = new URLSearchParams(sp);
              next.set('deployment', ev.target.value);
              setSp(next, { replace: true });
            }}
            aria-label="Deployment whose log to show"
          >
            {deployments.map((d) => (
              <option key={d.name}>{d.name}</option>
            ))}
          </select>
        </label>
        <span className="muted">last 200 lines of the newest instance, refreshed every 3 s</span>
      </div>
      {err && <ErrorBox error={err} />}
      <pre ref={pre} className="code log" data-testid="endpoint-log" aria-live="polite">
        {text === null ? 'Loading…' : text || '(empty log)'}
      </pre>
    </>
  );
}
