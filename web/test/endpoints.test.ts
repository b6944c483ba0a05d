import { describe, expect, it } from 'vitest';
import { parseTraffic, statsSeries, statsTotals, trafficSummary, type MinutePoint } from '../src/lib/endpoints';

const pt = (time: number, requests: number, c = 0, s = 0, p50: number | null = null): MinutePoint => ({
  time, requests, client_errors: c, server_errors: s, p50_ms: p50, p90_ms: p50, p99_ms: p50 === null ? null : p50 * 2, mean_ms: p50,
});

describe('traffic', () => {
  it('summarises the split, largest first', () => {
    expect(trafficSummary({ green: 10, blue: 90, old: 0 })).toBe('blue 90% · green 10%');
    expect(trafficSummary({})).toBe('no traffic');
  });
  it('accepts whole percentages summing to 100 or 0', () => {
    expect(parseTraffic({ blue: '90', green: '10' })).toEqual({ traffic: { blue: 90, green: 10 } });
    expect(parseTraffic({ blue: '', green: '0' })).toEqual({ traffic: { blue: 0, green: 0 } });
    expect(parseTraffic({ blue: '90', green: '5' })).toEqual({ error: expect.stringContaining('95%') });
    expect(parseTraffic({ blue: '50.5', green: '49.5' })).toEqual({ error: expect.stringContaining('blue') });
    expect(parseTraffic({ blue: '101' })).toEqual({ error: expect.stringContaining('0 to 100') });
  });
});

describe('endpoint stats', () => {
  const deps = [{ name: 'blue', points: [pt(0, 0), pt(60_000, 5, 1, 2, 3), pt(120_000, 2, 0, 0, 8)] }];
  it('keeps zero-request minutes for counts and drops them for latency', () => {
    const s = statsSeries(deps);
    expect(s.requests[0]).toEqual({ label: 'blue', steps: [0, 1, 2], times: [0, 60_000, 120_000], values: [0, 5, 2] });
    expect(s.errors.map((e) => [e.label, e.values])).toEqual([
      ['blue 4xx', [0, 1, 0]],
      ['blue 5xx', [0, 2, 0]],
    ]);
    expect(s.latency.map((l) => [l.label, l.values])).toEqual([
      ['blue p50', [3, 8]],
      ['blue p90', [3, 8]],
      ['blue p99', [6, 16]],
    ]);
  });
  it('totals the window', () => {
    expect(statsTotals(deps)).toEqual([{ name: 'blue', requests: 7, client_errors: 1, server_errors: 2, max_p99_ms: 16 }]);
  });
});
