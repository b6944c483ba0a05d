import { describe, expect, it } from 'vitest';
import { assessmentKind, assessmentValue, fromV2, fromV3, parseDurationMs, parseTimeMs, preview, proxiedArtifactPath } from '../src/lib/traces';
import { addPage, NO_PAGES } from '../src/lib/paging';
import { datasetLabel, latestMetrics, metricValue, modelStatus } from '../src/lib/loggedModels';
import { formatDuration } from '../src/lib/format';

describe('trace rows', () => {
  it('parses protobuf durations and times', () => {
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('0.000250s')).toBeCloseTo(0.25);
    expect(parseDurationMs('12')).toBeNull();
    expect(parseDurationMs(undefined)).toBeNull();
    expect(parseTimeMs('2026-12-01T10:00:00.000Z')).toBe(Date.UTC(2026, 11, 1, 10));
    expect(parseTimeMs('nope')).toBeNull();
  });
  it('formats span and trace durations', () => {
    expect(formatDuration(0.25)).toBe('0.25 ms');
    expect(formatDuration(0.3742)).toBe('0.37 ms');
    expect(formatDuration(0.001)).toBe('< 0.01 ms');
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(1500)).toBe('1.5 s');
    expect(formatDuration(61_000)).toBe('1 min 01 s');
    expect(formatDuration(null)).toBe('');
  });
  it('reads v3 and v2 trace infos into one row', () => {
    const v3 = fromV3({
      trace_id: 'tr-1', trace_location: { mlflow_experiment: { experiment_id: '7' } }, request_preview: '{"q":1}', state: 'OK',
      request_time: '2026-12-01T10:00:00Z', execution_duration: '2s', tags: { 'mlflow.traceName': 'agent' }, trace_metadata: { 'mlflow.sourceRun': 'r1' },
    });
    expect(v3).toMatchObject({ id: 'tr-1', experimentId: '7', name: 'agent', request: '{"q":1}', state: 'OK', durationMs: 2000, runId: 'r1', assessments: [] });
    const v2 = fromV2({ request_id: 'tr-2', experiment_id: '3', timestamp_ms: 5, execution_time_ms: 9, status: 'ERROR', tags: [{ key: 'mlflow.traceName', value: 'n' }], request_metadata: [{ key: 'mlflow.traceInputs', value: 'in' }] });
    expect(v2).toMatchObject({ id: 'tr-2', experimentId: '3', name: 'n', request: 'in', state: 'ERROR', time: 5, durationMs: 9 });
  });
  it('maps mlflow-artifacts: URIs to proxied paths', () => {
    expect(proxiedArtifactPath('mlflow-artifacts:/1/traces/tr-1/artifacts')).toBe('1/traces/tr-1/artifacts');
    expect(proxiedArtifactPath('mlflow-artifacts://host:5000/1/x/')).toBe('1/x');
    expect(proxiedArtifactPath('s3://bucket/x')).toBeNull();
    expect(proxiedArtifactPath(undefined)).toBeNull();
  });
  it('shows assessment values', () => {
    const fb = { assessment_id: 'a', assessment_name: 'correct', feedback: { value: true } };
    expect([assessmentKind(fb), assessmentValue(fb)]).toEqual(['feedback', 'true']);
    const ex = { assessment_id: 'b', assessment_name: 'answer', expectation: { value: { facts: ['x'] } } };
    expect([assessmentKind(ex), assessmentValue(ex)]).toEqual(['expectation', '{"facts":["x"]}']);
    expect(assessmentValue({ assessment_id: 'c', assessment_name: 's', expectation: { serialized_value: { value: '[1]' } } })).toBe('[1]');
    expect(assessmentValue({ assessment_id: 'd', assessment_name: 'e', feedback: { error: { error_message: 'timeout' } } })).toBe('error: timeout');
    expect(assessmentValue({ assessment_id: 'e', assessment_name: 'str', feedback: { value: 'yes' } })).toBe('yes');
    expect(preview('a\n  b', 80)).toBe('a b');
    expect(preview('x'.repeat(100), 10)).toBe('xxxxxxxxx…');
  });
});

describe('paging', () => {
  const id = (x: { id: string }) => x.id;
  it('appends pages until there is no next token', () => {
    let p = addPage(NO_PAGES, [{ id: 'a' }, { id: 'b' }], 'T1', id, true);
    expect(p).toEqual({ items: [{ id: 'a' }, { id: 'b' }], token: 'T1', done: false });
    p = addPage(p, [{ id: 'b' }, { id: 'c' }], '', id);
    expect(p.items.map(id)).toEqual(['a', 'b', 'c']);
    expect(p.done).toBe(true);
    expect(p.token).toBeUndefined();
  });
  it('a first page replaces what was loaded', () => {
    const p = addPage({ items: [{ id: 'old' }], token: 'T', done: false }, [{ id: 'new' }], undefined, id, true);
    expect(p).toEqual({ items: [{ id: 'new' }], token: undefined, done: true });
  });
});

describe('logged models', () => {
  it('labels statuses and dataset-scoped metrics', () => {
    expect(modelStatus('LOGGED_MODEL_READY')).toBe('READY');
    expect(modelStatus(undefined)).toBe('');
    expect(datasetLabel({ key: 'acc', value: 1, timestamp: 0, step: 0, dataset_name: 'eval', dataset_digest: 'abc' })).toBe('eval (digest abc)');
    expect(datasetLabel({ key: 'acc', value: 1, timestamp: 0, step: 0 })).toBe('');
    expect(metricValue('NaN')).toBeNaN();
    expect(metricValue('-Infinity')).toBe(-Infinity);
  });
  it('keeps the latest value per metric and dataset', () => {
    const m = (key: string, value: number, step: number, dataset_name?: string) => ({ key, value, step, timestamp: step, dataset_name });
    const out = latestMetrics([m('loss', 3, 0), m('loss', 1, 2), m('loss', 2, 1), m('acc', 0.9, 0, 'test'), m('acc', 0.8, 0)]);
    expect(out.map((x) => [x.key, x.dataset_name ?? '', x.value])).toEqual([['acc', '', 0.8], ['acc', 'test', 0.9], ['loss', '', 1]]);
  });
});
