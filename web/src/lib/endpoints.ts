// Online endpoint helpers for the endpoint page: the traffic editor's check and the chart series
// of GET …/online-endpoints/{name}/stats (per deployment, per minute). Pure, unit-tested.

export interface MinutePoint {
  time: number;
  requests: number;
  client_errors: number;
  server_errors: number;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  mean_ms: number | null;
}

export interface Series {
  label: string;
  steps: number[];
  times: number[];
  values: number[];
}

/** "blue 90% · green 10%" (largest share first); "no traffic" when none. */
export function trafficSummary(traffic: Record<string, number> | undefined): string {
  const parts = Object.entries(traffic ?? {})
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, v]) => `${k} ${v}%`);
  return parts.length ? parts.join(' · ') : 'no traffic';
}

/**
 * Parses the traffic editor's fields: whole percentages 0..100 summing to 100 (or all 0, which
 * stops traffic). Returns the split or the message to show (the server checks the same).
 */
export function parseTraffic(fields: Record<string, string>): { traffic: Record<string, number> } | { error: string } {
  const traffic: Record<string, number> = {};
  for (const [name, raw] of Object.entries(fields)) {
    const t = raw.trim() === '' ? '0' : raw.trim();
    if (!/^\d+$/.test(t) || Number(t) > 100) return { error: `${name}: a whole percentage from 0 to 100` };
    traffic[name] = Number(t);
  }
  const sum = Object.values(traffic).reduce((a, b) => a + b, 0);
  if (sum !== 0 && sum !== 100) return { error: `The shares add up to ${sum}%; they must add up to 100% (or all be 0).` };
  return { traffic };
}

function series(label: string, pts: MinutePoint[], value: (p: MinutePoint) => number | null): Series {
  const s: Series = { label, steps: [], times: [], values: [] };
  pts.forEach((p, i) => {
    const v = value(p);
    if (v === null || !Number.isFinite(v)) return;
    s.steps.push(i);
    s.times.push(p.time);
    s.values.push(v);
  });
  return s;
}

export interface DeploymentStats {
  name: string;
  points: MinutePoint[];
}

/** Chart series: requests and errors per minute (zeros included), latency where there were requests. */
export function statsSeries(deps: DeploymentStats[]): { requests: Series[]; errors: Series[]; latency: Series[] } {
  const requests = deps.map((d) => series(d.name, d.points, (p) => p.requests));
  const errors = deps.flatMap((d) => [
    series(`${d.name} 4xx`, d.points, (p) => p.client_errors),
    series(`${d.name} 5xx`, d.points, (p) => p.server_errors),
  ]);
  const latency = deps.flatMap((d) =>
    (['p50', 'p90', 'p99'] as const).map((q) => series(`${d.name} ${q}`, d.points, (p) => (p.requests > 0 ? p[`${q}_ms`] : null))),
  );
  return { requests, errors, latency };
}

/** Per deployment over the window: requests, 4xx, 5xx, and the worst minute's p99. */
export function statsTotals(deps: DeploymentStats[]): { name: string; requests: number; client_errors: number; server_errors: number; max_p99_ms: number | null }[] {
  return deps.map((d) => {
    let max: number | null = null;
    for (const p of d.points) if (p.p99_ms !== null && (max === null || p.p99_ms > max)) max = p.p99_ms;
    return {
      name: d.name,
      requests: d.points.reduce((a, p) => a + p.requests, 0),
      client_errors: d.points.reduce((a, p) => a + p.client_errors, 0),
      server_errors: d.points.reduce((a, p) => a + p.server_errors, 0),
      max_p99_ms: max,
    };
  });
}
