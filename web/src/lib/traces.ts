// Traces as the studio lists them: one row type for MLflow 3 (TraceInfoV3) and MLflow 2.x
// (TraceInfo) answers, protobuf JSON durations and times, and assessment values. Pure, unit-tested.
import type { Assessment, TraceInfoV2, TraceInfoV3 } from '../api/types';

export interface TraceRow {
  id: string;
  experimentId: string;
  name: string;
  request: string;
  response: string;
  /** OK, ERROR, IN_PROGRESS (v3 state; v2 status). */
  state: string;
  /** Epoch ms. */
  time: number | null;
  durationMs: number | null;
  runId: string;
  tags: Record<string, string>;
  metadata: Record<string, string>;
  assessments: Assessment[];
}

/** Protobuf JSON Duration ("1.5s", "0.000250s") → milliseconds. */
export function parseDurationMs(s: string | undefined | null): number | null {
  if (!s) return null;
  const m = /^(-?\d+(?:\.\d+)?)s$/.exec(s.trim());
  return m ? Number(m[1]) * 1000 : null;
}

/** RFC 3339 timestamp → epoch ms (null when it does not parse). */
export function parseTimeMs(s: string | undefined | null): number | null {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}

const kv = (list: { key: string; value: string }[] | undefined) => Object.fromEntries((list ?? []).map((t) => [t.key, t.value]));

export function fromV3(t: TraceInfoV3): TraceRow {
  const tags = t.tags ?? {};
  const metadata = t.trace_metadata ?? {};
  return {
    id: t.trace_id,
    experimentId: t.trace_location?.mlflow_experiment?.experiment_id ?? '',
    name: tags['mlflow.traceName'] ?? '',
    request: t.request_preview ?? '',
    response: t.response_preview ?? '',
    state: (t.state ?? '').replace(/^STATE_/, ''),
    time: parseTimeMs(t.request_time),
    durationMs: parseDurationMs(t.execution_duration),
    runId: metadata['mlflow.sourceRun'] ?? '',
    tags,
    metadata,
    assessments: t.assessments ?? [],
  };
}

export function fromV2(t: TraceInfoV2): TraceRow {
  const tags = kv(t.tags);
  const metadata = kv(t.request_metadata);
  return {
    id: t.request_id,
    experimentId: t.experiment_id,
    name: tags['mlflow.traceName'] ?? '',
    request: metadata['mlflow.traceInputs'] ?? '',
    response: metadata['mlflow.traceOutputs'] ?? '',
    state: (t.status ?? '').replace(/^TRACE_STATUS_/, ''),
    time: t.timestamp_ms ?? null,
    durationMs: t.execution_time_ms ?? null,
    runId: metadata['mlflow.sourceRun'] ?? '',
    tags,
    metadata,
    assessments: [],
  };
}

/**
 * The path under /api/2.0/mlflow-artifacts/artifacts/ of an `mlflow-artifacts:` URI (the scheme
 * mlws gives experiments), or null for any other kind of location.
 */
export function proxiedArtifactPath(uri: string | undefined): string | null {
  if (!uri || !uri.startsWith('mlflow-artifacts:')) return null;
  let rest = uri.slice('mlflow-artifacts:'.length);
  if (rest.startsWith('//')) rest = rest.slice(2).replace(/^[^/]*/, ''); // mlflow-artifacts://host/path
  return rest.replace(/^\/+/, '').replace(/\/+$/, '');
}

/** Feedback or expectation, and its value as one line of text. */
export function assessmentKind(a: Assessment): 'feedback' | 'expectation' | '' {
  return a.feedback ? 'feedback' : a.expectation ? 'expectation' : '';
}

export function assessmentValue(a: Assessment): string {
  if (a.feedback) {
    if (a.feedback.error) return `error: ${a.feedback.error.error_message ?? a.feedback.error.error_code ?? ''}`;
    return showValue(a.feedback.value);
  }
  if (a.expectation) {
    if (a.expectation.serialized_value) return a.expectation.serialized_value.value ?? '';
    return showValue(a.expectation.value);
  }
  return '';
}

export function showValue(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** A preview cut to `n` characters for a table cell. */
export function preview(s: string, n = 80): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? one.slice(0, n - 1) + '…' : one;
}
