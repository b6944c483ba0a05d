import { describe, expect, it } from 'vitest';
import { buildSpanTree, flattenTree, nanosToMillis, normalizeSpan, spansOf, timingBar, traceWindow, type Span } from '../src/lib/spanTree';

const T0 = 1_700_000_000_000; // ms
const span = (id: string, parentId: string | null, start: number, end: number | null, name = id): Span => ({
  id, parentId, name, type: '', status: 'OK', statusMessage: '', start: T0 + start, end: end === null ? null : T0 + end, inputs: undefined, outputs: undefined, attributes: {},
});
const shape = (spans: Span[]) => flattenTree(buildSpanTree(spans)).map((n) => `${'  '.repeat(n.depth)}${n.id}${n.orphan ? '!' : ''}`);

describe('span tree', () => {
  it('nests by parent id with children in start-time order, whatever the input order', () => {
    const spans = [span('c2', 'root', 50, 90), span('g', 'c1', 20, 30), span('root', null, 0, 100), span('c1', 'root', 10, 40)];
    expect(shape(spans)).toEqual(['root', '  c1', '    g', '  c2']);
  });
  it('keeps orphans (a parent that is not in the trace) as roots, in start order with the real root', () => {
    const spans = [span('lost', 'nope', 5, 6), span('root', null, 0, 100), span('kid', 'lost', 7, 8), span('early', 'gone', -10, 1)];
    expect(shape(spans)).toEqual(['early!', 'root', 'lost!', '  kid']);
  });
  it('breaks parent cycles and self-parents instead of losing the spans', () => {
    const spans = [span('a', 'b', 1, 2), span('b', 'a', 3, 4), span('s', 's', 5, 6)];
    const rows = shape(spans);
    expect(rows).toHaveLength(3);
    expect(rows).toContain('a!');
    expect(rows).toContain('  b');
    expect(rows).toContain('s!');
  });
  it('orders spans that start together by name, and drops duplicate ids', () => {
    expect(shape([span('r', null, 0, 9), span('y', 'r', 1, 2, 'b'), span('x', 'r', 1, 2, 'a'), span('x', 'r', 1, 2, 'a')])).toEqual(['r', '  x', '  y']);
  });
  it('computes the window and timing bars', () => {
    const spans = [span('r', null, 0, 100), span('c', 'r', 25, 75), span('open', 'r', 90, null)];
    const w = traceWindow(spans);
    expect(w).toEqual([T0, T0 + 100]);
    expect(timingBar(spans[0], w)).toEqual({ left: 0, width: 100 });
    expect(timingBar(spans[1], w)).toEqual({ left: 25, width: 50 });
    expect(timingBar(spans[2], w)).toEqual({ left: 90, width: 10 });
    expect(timingBar(span('z', null, 50, 50), w).width).toBe(0.5);
    expect(timingBar(spans[0], [T0, T0])).toEqual({ left: 0, width: 100 });
  });
});

describe('span formats', () => {
  it('reads the MLflow 3 export format', () => {
    const s = normalizeSpan({
      trace_id: 'AAAA', span_id: 'c3Bhbg==', parent_span_id: 'cm9vdA==', name: 'retrieve',
      start_time_unix_nano: '1700000000000123456', end_time_unix_nano: 1700000000250000000,
      status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
      attributes: { 'mlflow.spanType': '"RETRIEVER"', 'mlflow.spanInputs': '{"q": "hi"}', 'mlflow.spanOutputs': '[1, 2]', plain: 'not json' },
    });
    expect(s).toMatchObject({ id: 'c3Bhbg==', parentId: 'cm9vdA==', name: 'retrieve', type: 'RETRIEVER', status: 'ERROR', statusMessage: 'boom', inputs: { q: 'hi' }, outputs: [1, 2] });
    expect(s.start).toBeCloseTo(1_700_000_000_000.123, 3);
    expect(s.end).toBe(1_700_000_000_250);
    expect(s.attributes.plain).toBe('not json');
  });
  it('reads the MLflow 2.x format, and a root has no parent', () => {
    const s = normalizeSpan({ name: 'root', context: { span_id: '0x01', trace_id: '0x02' }, parent_id: null, start_time: 1e15, end_time: null, status_code: 'OK', attributes: {} });
    expect(s).toMatchObject({ id: '0x01', parentId: null, status: 'OK', start: 1e9, end: null, type: '' });
    expect(normalizeSpan({ span_id: 'x', parent_span_id: '' }).parentId).toBeNull();
    expect(normalizeSpan({ span_id: 'x' }).status).toBe('UNSET');
  });
  it('takes spans from a trace data document only', () => {
    expect(spansOf({ spans: [{ span_id: 'a' }, null, 3] }).map((s) => s.id)).toEqual(['a']);
    expect(spansOf(null)).toEqual([]);
    expect(spansOf({ spans: 'x' })).toEqual([]);
    expect(nanosToMillis(undefined)).toBeNull();
    expect(nanosToMillis('abc')).toBeNull();
  });
});
