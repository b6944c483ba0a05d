// A pipeline job's graph from GET /jobs/{name}: its steps (status, step job, reuse) and edges, one
// per output → input binding plus one per `depends_on` without a binding. Pure, unit-tested.
import type { Job } from '../api/types';

export interface StepNode {
  id: string;
  status: string;
  /** The step's own job (its run is that job's run_id); null before it was submitted. */
  job: string | null;
  component: string;
  reusedFrom: string | null;
  reason: string | null;
  durationMs: number | null;
}

export interface StepEdge {
  from: string;
  to: string;
  /** `output → input`, or '' for an ordering-only dependency. */
  label: string;
}

export type StatusTone = 'ok' | 'bad' | 'busy' | 'idle' | 'skipped';

/** Colour class of a step status (the same words StatusBadge uses). */
export function statusTone(status: string): StatusTone {
  const s = status.toLowerCase();
  if (s === 'completed' || s === 'finished') return 'ok';
  if (s === 'failed' || s === 'canceled' || s === 'killed') return 'bad';
  if (s === 'skipped') return 'skipped';
  if (s === 'notstarted' || s === '') return 'idle';
  return 'busy';
}

type RawStep = {
  status?: string;
  job?: string | null;
  component?: string;
  depends_on?: string[];
  reused_from?: string | null;
  reason?: string | null;
  duration_ms?: number | null;
};

export function pipelineGraph(job: { steps?: object; edges?: Job['edges'] }): { nodes: StepNode[]; edges: StepEdge[] } {
  const steps = (job.steps ?? {}) as Record<string, RawStep>;
  const nodes: StepNode[] = Object.entries(steps).map(([id, s]) => ({
    id,
    status: s.status ?? 'NotStarted',
    job: s.job ?? null,
    component: typeof s.component === 'string' ? s.component : '',
    reusedFrom: s.reused_from ?? null,
    reason: s.reason ?? null,
    durationMs: typeof s.duration_ms === 'number' ? s.duration_ms : null,
  }));
  const edges: StepEdge[] = [];
  const seen = new Map<string, StepEdge>();
  for (const e of job.edges ?? []) {
    if (!e.from || !e.to || !(e.from in steps) || !(e.to in steps)) continue;
    const label = `${e.output ?? ''} → ${e.input ?? ''}`;
    const key = `${e.from}\u0000${e.to}`;
    const prev = seen.get(key);
    // Several bindings between the same two steps share one edge with all their labels.
    if (prev) prev.label = `${prev.label}, ${label}`;
    else {
      const edge = { from: e.from, to: e.to, label };
      seen.set(key, edge);
      edges.push(edge);
    }
  }
  for (const [id, s] of Object.entries(steps))
    for (const d of s.depends_on ?? [])
      if (d in steps && !seen.has(`${d}\u0000${id}`)) {
        const edge = { from: d, to: id, label: '' };
        seen.set(`${d}\u0000${id}`, edge);
        edges.push(edge);
      }
  return { nodes, edges };
}

export interface Point {
  x: number;
  y: number;
}

/**
 * The SVG path of an edge from `from` (the source box's right middle) through its lanes (each
 * `laneWidth` wide: the free slots of the layers it skips, see dagLayout.ts) to `to` (the target
 * box's left middle): curves between columns, straight along the lanes. The label sits on the
 * first hop.
 */
export function edgePath(from: Point, lanes: Point[], laneWidth: number, to: Point): { d: string; labelX: number; labelY: number } {
  const hops: [Point, Point][] = [];
  let at = from;
  let d = `M ${at.x} ${at.y}`;
  for (const lane of lanes) {
    hops.push([at, lane]);
    at = { x: lane.x + laneWidth, y: lane.y };
  }
  hops.push([at, to]);
  hops.forEach(([a, b], i) => {
    const mx = (a.x + b.x) / 2;
    d += ` C ${mx} ${a.y}, ${mx} ${b.y}, ${b.x} ${b.y}`;
    if (i < lanes.length) d += ` L ${b.x + laneWidth} ${b.y}`;
  });
  const [a, b] = hops[0];
  return { d, labelX: (a.x + b.x) / 2, labelY: (a.y + b.y) / 2 - 6 };
}
