// Spans of a trace as the studio shows them: normalized from the MLflow 3 export format
// (span_id, parent_span_id, start_time_unix_nano, status.code) or the MLflow 2.x one
// (context.span_id, parent_id, start_time, status_code), then nested by parent span id with
// children in start-time order. Pure, unit-tested.

export interface Span {
  id: string;
  parentId: string | null;
  name: string;
  /** mlflow.spanType: LLM, CHAIN, TOOL, … ('' when unset). */
  type: string;
  /** OK, ERROR or UNSET. */
  status: string;
  statusMessage: string;
  /** Epoch milliseconds (fractional: nanosecond times keep microsecond precision). */
  start: number;
  /** null while the span has not ended. */
  end: number | null;
  inputs: unknown;
  outputs: unknown;
  attributes: Record<string, unknown>;
}

export interface SpanNode extends Span {
  children: SpanNode[];
  depth: number;
  /** Its parent span id names no span in this trace. */
  orphan: boolean;
}

type Raw = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/** Nanoseconds (number, or a string as protobuf JSON writes int64) → epoch milliseconds. */
export function nanosToMillis(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'string' && /^\d+$/.test(v)) {
    const b = BigInt(v);
    return Number(b / 1000n) / 1000;
  }
  const n = Number(v);
  return Number.isFinite(n) ? Math.round(n / 1000) / 1000 : null;
}

/** Span attributes are JSON-encoded strings ("\"LLM\""); plain strings stay as they are. */
export function decodeAttribute(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function statusOf(raw: Raw): [string, string] {
  const s = raw.status;
  let code = '';
  let message = '';
  if (s && typeof s === 'object') {
    code = str((s as Raw).code);
    message = str((s as Raw).message);
  } else {
    code = str(raw.status_code ?? s);
    message = str(raw.status_message);
  }
  code = code.replace(/^STATUS_CODE_/, '').toUpperCase();
  return [code || 'UNSET', message];
}

export function normalizeSpan(raw: Raw): Span {
  const ctx = (raw.context as Raw | undefined) ?? {};
  const attrsRaw = (raw.attributes as Raw | undefined) ?? {};
  const attributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrsRaw)) attributes[k] = decodeAttribute(v);
  const parent = str(raw.parent_span_id ?? raw.parent_id);
  const [status, statusMessage] = statusOf(raw);
  const start = nanosToMillis(raw.start_time_unix_nano ?? raw.start_time) ?? 0;
  return {
    id: str(raw.span_id ?? ctx.span_id),
    parentId: parent || null,
    name: str(raw.name),
    type: str(attributes['mlflow.spanType']),
    status,
    statusMessage,
    start,
    end: nanosToMillis(raw.end_time_unix_nano ?? raw.end_time),
    inputs: attributes['mlflow.spanInputs'],
    outputs: attributes['mlflow.spanOutputs'],
    attributes,
  };
}

/** The spans of a trace data document ({"spans": [...]}); anything else gives none. */
export function spansOf(data: unknown): Span[] {
  const spans = data && typeof data === 'object' ? (data as Raw).spans : undefined;
  if (!Array.isArray(spans)) return [];
  return spans.filter((s): s is Raw => !!s && typeof s === 'object').map(normalizeSpan);
}

const byStart = (a: SpanNode, b: SpanNode) => a.start - b.start || a.name.localeCompare(b.name) || a.id.localeCompare(b.id);

/**
 * Nests spans by parent id. Roots are spans without a parent and orphans (a parent id that names no
 * span, or a parent cycle); children and roots are in start-time order.
 */
export function buildSpanTree(spans: Span[]): SpanNode[] {
  const nodes = new Map<string, SpanNode>();
  for (const s of spans) if (!nodes.has(s.id)) nodes.set(s.id, { ...s, children: [], depth: 0, orphan: false });
  const roots: SpanNode[] = [];
  for (const n of nodes.values()) {
    const p = n.parentId !== null && n.parentId !== n.id ? nodes.get(n.parentId) : undefined;
    if (p) p.children.push(n);
    else {
      n.orphan = n.parentId !== null;
      roots.push(n);
    }
  }
  // Spans in a parent cycle are reachable from no root: each cycle's earliest span becomes one.
  const seen = new Set<string>();
  const walk = (list: SpanNode[], depth: number) => {
    list.sort(byStart);
    for (const n of list) {
      seen.add(n.id);
      n.depth = depth;
      walk(n.children, depth + 1);
    }
  };
  walk(roots, 0);
  for (;;) {
    const left = [...nodes.values()].filter((n) => !seen.has(n.id)).sort(byStart);
    if (left.length === 0) break;
    const n = left[0];
    const p = n.parentId ? nodes.get(n.parentId) : undefined;
    if (p) p.children = p.children.filter((c) => c !== n);
    n.orphan = true;
    roots.push(n);
    walk([n], 0);
  }
  roots.sort(byStart);
  return roots;
}

/** Depth-first order, as the tree is drawn. */
export function flattenTree(roots: SpanNode[]): SpanNode[] {
  const out: SpanNode[] = [];
  const visit = (n: SpanNode) => {
    out.push(n);
    n.children.forEach(visit);
  };
  roots.forEach(visit);
  return out;
}

/** The time window the spans cover: [start, end] in epoch ms. */
export function traceWindow(spans: Span[]): [number, number] {
  if (spans.length === 0) return [0, 0];
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of spans) {
    lo = Math.min(lo, s.start);
    hi = Math.max(hi, s.end ?? s.start);
  }
  return [lo, hi];
}

/** A span's timing bar as percentages of the window: left offset and width (at least 0.5%). */
export function timingBar(span: Span, window: [number, number]): { left: number; width: number } {
  const [lo, hi] = window;
  const total = hi - lo;
  if (total <= 0) return { left: 0, width: 100 };
  const left = ((span.start - lo) / total) * 100;
  const width = (((span.end ?? hi) - span.start) / total) * 100;
  return { left: clamp(left, 0, 100), width: clamp(Math.max(width, 0.5), 0, 100 - clamp(left, 0, 99.5)) };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
