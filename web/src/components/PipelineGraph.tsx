// The graph of a pipeline job: steps as boxes coloured by status (layered left to right by
// lib/dagLayout.ts), edges labelled `output → input` (an edge that skips layers runs through the
// lanes the layout keeps free in the layers between, never behind a box), reused steps marked
// with the job they reused. Clicking a step (or Enter on it) opens the step's run. The parent
// page polls the job while it runs (every 1.5 s; the server has no event stream of a job's
// state), so the graph follows the pipeline live.
import { useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../api/mlflow';
import { laneKey, layoutDag } from '../lib/dagLayout';
import { edgePath, pipelineGraph, statusTone, type StepNode } from '../lib/pipeline';
import { formatDuration } from '../lib/format';
import { paths } from '../lib/urlState';
import type { Job } from '../api/types';
import { StatusBadge } from './StatusBadge';
import { KeyTable } from './KeyTable';

const W = 180;
const H = 58;
const GAP_X = 150;
const GAP_Y = 28;
const PAD = 12;

export function PipelineGraph({ ws, job }: { ws: string; job: Job }) {
  const nav = useNavigate();
  const [err, setErr] = useState('');
  const { nodes, edges } = useMemo(() => pipelineGraph(job), [job]);
  const layout = useMemo(
    () => layoutDag(nodes.map((n) => n.id), edges, { nodeWidth: W, nodeHeight: H, gapX: GAP_X, gapY: GAP_Y }),
    // The layout depends on the shape only, not on statuses: it stays put while the job runs.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [nodes.map((n) => n.id).join('\n'), edges.map((e) => `${e.from}>${e.to}`).join('\n')],
  );
  const openStep = async (n: StepNode) => {
    if (!n.job) return setErr(`Step ${n.id} has not been submitted yet.`);
    try {
      const child = await api.job(ws, n.job);
      nav(child.run_id ? paths.run(ws, child.run_id) : paths.job(ws, n.job));
    } catch (e) {
      setErr((e as Error).message);
    }
  };
  if (nodes.length === 0) return <p className="muted">This pipeline has no steps.</p>;
  const width = layout.width + 2 * PAD;
  const height = layout.height + 2 * PAD;
  return (
    <>
      <div className="graph-wrap">
        <svg className="pipeline-graph" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="group" aria-label="Pipeline graph" data-testid="pipeline-graph">
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" className="graph-arrow" />
            </marker>
          </defs>
          {edges.map((e) => {
            const a = layout.nodes.get(e.from)!;
            const b = layout.nodes.get(e.to)!;
            const lanes = (layout.lanes.get(laneKey(e.from, e.to)) ?? []).map((p) => ({ x: PAD + p.x, y: PAD + p.y }));
            const route = edgePath({ x: PAD + a.x + W, y: PAD + a.y + H / 2 }, lanes, W, { x: PAD + b.x - 2, y: PAD + b.y + H / 2 });
            return (
              <g key={`${e.from}>${e.to}`} className="graph-edge" data-testid="pipeline-edge" data-from={e.from} data-to={e.to} data-lanes={lanes.length}>
                <path d={route.d} markerEnd="url(#arrow)" />
                {e.label && (
                  <text x={route.labelX} y={route.labelY} textAnchor="middle" className="graph-edge-label">
                    {e.label}
                  </text>
                )}
              </g>
            );
          })}
          {nodes.map((n) => {
            const p = layout.nodes.get(n.id)!;
            const tone = statusTone(n.status);
            return (
              <g
                key={n.id}
                className={`graph-node tone-${tone}${n.reusedFrom ? ' reused' : ''}`}
                transform={`translate(${PAD + p.x} ${PAD + p.y})`}
                role="button"
                tabIndex={0}
                aria-label={`Step ${n.id}: ${n.status}${n.reusedFrom ? `, reused from ${n.reusedFrom}` : ''}. Open its run.`}
                data-testid="pipeline-node"
                data-step={n.id}
                data-status={n.status}
                data-tone={tone}
                onClick={() => void openStep(n)}
                onKeyDown={(ev) => {
                  if (ev.key === 'Enter' || ev.key === ' ') {
                    ev.preventDefault();
                    void openStep(n);
                  }
                }}
              >
                <title>{n.reusedFrom ? `reused from ${n.reusedFrom}` : n.reason ?? n.status}</title>
                <rect width={W} height={H} rx={8} />
                <text x={10} y={20} className="graph-node-name">
                  {clip(n.id, 20)}
                </text>
                <text x={10} y={38} className="graph-node-status">
                  {n.status}
                  {n.durationMs !== null ? ` · ${formatDuration(n.durationMs)}` : ''}
                </text>
                {n.reusedFrom && (
                  <text x={10} y={52} className="graph-node-reused" data-testid="reused-mark">
                    ♻ reused
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      </div>
      {err && (
        <p className="error" role="alert">
          {err}
        </p>
      )}
      <KeyTable
        label="Steps"
        testId="pipeline-steps"
        rows={[...nodes].sort((a, b) => {
          const p = layout.nodes.get(a.id)!;
          const q = layout.nodes.get(b.id)!;
          return p.layer - q.layer || p.order - q.order;
        })}
        rowKey={(n) => n.id}
        onOpen={(n) => void openStep(n)}
        columns={[
          { id: 'step', header: 'Step', cell: (n) => n.id },
          { id: 'status', header: 'Status', cell: (n) => <StatusBadge status={n.status} /> },
          { id: 'dur', header: 'Duration', cell: (n) => (n.durationMs === null ? '' : formatDuration(n.durationMs)) },
          { id: 'reuse', header: 'Reused from', cell: (n) => (n.reusedFrom ? <Link to={paths.job(ws, n.reusedFrom)}>{n.reusedFrom}</Link> : '') },
          { id: 'job', header: 'Step job', cell: (n) => (n.job ? <Link to={paths.job(ws, n.job)}>{n.job}</Link> : '') },
          { id: 'why', header: 'Note', cell: (n) => n.reason ?? '' },
        ]}
      />
    </>
  );
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
