// Compute targets (pool sizes, busy/idle/queued nodes) and what they cost, per experiment and job.
import { Link } from 'react-router';
import { api } from '../api/mlflow';
import { useApi } from '../lib/useApi';
import { useWorkspace } from '../lib/workspace';
import { paths } from '../lib/urlState';
import { formatDuration, formatMoney } from '../lib/format';
import { Empty, ErrorBox, Loading } from '../components/States';
import { KeyTable } from '../components/KeyTable';
import { ApiError } from '../api/client';

export function ComputePage() {
  const { ws } = useWorkspace();
  const computes = useApi(() => api.computes(ws), [ws]);
  const cost = useApi(() => api.cost(ws), [ws]);
  const cur = cost.data?.currency ?? 'USD';
  return (
    <>
      <div className="page-head">
        <h1>Compute</h1>
      </div>
      {computes.error && <ErrorBox error={computes.error} onRetry={computes.reload} />}
      {!computes.data && !computes.error && <Loading what="compute" />}
      {computes.data && computes.data.length === 0 && (
        <Empty title="No compute attached">
          <p>
            Attach one with <code>mlws compute create -f compute.yml</code>.
          </p>
        </Empty>
      )}
      {computes.data && computes.data.length > 0 && (
        <KeyTable
          label="Compute targets"
          rows={computes.data}
          rowKey={(c) => c.name}
          columns={[
            { id: 'name', header: 'Name', cell: (c) => c.name },
            { id: 'type', header: 'Type', cell: (c) => c.type },
            { id: 'size', header: 'Nodes (min–max)', cell: (c) => `${c.min_instances ?? 0}–${c.max_instances ?? '?'}` },
            { id: 'busy', header: 'Busy', cell: (c) => c.busy ?? 0 },
            { id: 'idle', header: 'Idle', cell: (c) => c.idle ?? 0 },
            { id: 'queued', header: 'Queued', cell: (c) => c.queued ?? 0 },
            { id: 'ns', header: 'Node time', cell: (c) => formatDuration((c.node_seconds ?? 0) * 1000) },
            { id: 'price', header: 'Price / node-hour', cell: (c) => formatMoney(c.price_per_node_hour, cur) },
            { id: 'cost', header: 'Cost', cell: (c) => formatMoney(c.cost, cur) },
          ]}
        />
      )}
      <h2>Cost</h2>
      {cost.error && !(computes.error instanceof ApiError && computes.error.notAvailable) && <ErrorBox error={cost.error} />}
      {!cost.data && !cost.error && <Loading what="cost" />}
      {cost.data && (
        <>
          <p>
            Total: <strong data-testid="cost-total">{formatMoney(cost.data.total, cur)}</strong>
          </p>
          <div className="two-col">
            <KeyTable
              label="Cost by experiment"
              rows={cost.data.by_experiment ?? []}
              rowKey={(e) => e.experiment_id}
              columns={[
                { id: 'e', header: 'Experiment', cell: (e) => <Link to={paths.experiment(ws, e.experiment_id)}>{e.experiment_name || e.experiment_id}</Link> },
                { id: 't', header: 'Node time', cell: (e) => formatDuration(e.node_seconds * 1000) },
                { id: 'c', header: 'Cost', cell: (e) => formatMoney(e.cost, cur) },
              ]}
            />
            <KeyTable
              label="Cost by job"
              rows={cost.data.by_job ?? []}
              rowKey={(j) => j.name}
              columns={[
                { id: 'j', header: 'Job', cell: (j) => <Link to={paths.job(ws, j.name)}>{j.name}</Link> },
                { id: 't', header: 'Node time', cell: (j) => formatDuration(j.node_seconds * 1000) },
                { id: 'c', header: 'Cost', cell: (j) => formatMoney(j.cost, cur) },
              ]}
            />
          </div>
        </>
      )}
    </>
  );
}
