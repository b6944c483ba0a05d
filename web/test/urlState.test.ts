import { describe, expect, it } from 'vitest';
import { parseChartView, parseRunIds, parseRunsView, paths, runsViewToParams, withChartView } from '../src/lib/urlState';
import { can } from '../src/lib/workspace';
import { paramDiff, toRow, collectKeys } from '../src/lib/runs';
import type { Run, WhoAmI } from '../src/api/types';

describe('runs view in the URL', () => {
  it('has defaults for an empty query', () => {
    const v = parseRunsView(new URLSearchParams(''));
    expect(v).toEqual({ q: '', sort: { entity: 'attributes', key: 'start_time' }, desc: true, cols: [] });
    expect(runsViewToParams(v).toString()).toBe('');
  });
  it('round-trips filter, sort and columns with odd keys', () => {
    const v = {
      q: "metrics.loss < 0.5 AND params.opt = 'adam'",
      sort: { entity: 'metrics' as const, key: 'val loss' },
      desc: false,
      cols: [
        { entity: 'metrics' as const, key: 'val loss' },
        { entity: 'params' as const, key: 'lr' },
        { entity: 'tags' as const, key: 'a|b' },
      ],
    };
    const sp = new URLSearchParams(runsViewToParams(v).toString());
    expect(parseRunsView(sp)).toEqual(v);
  });
});

describe('compare and chart URLs', () => {
  it('parses run id lists', () => {
    expect(parseRunIds('a,b,,a, c ')).toEqual(['a', 'b', 'c']);
    expect(parseRunIds('x,<script>,y')).toEqual(['x', 'y']);
    expect(parseRunIds(null)).toEqual([]);
    expect(parseRunIds(Array.from({ length: 150 }, (_, i) => `r${i}`).join(','))).toHaveLength(100);
  });
  it('keeps chart state next to other params', () => {
    const sp = new URLSearchParams('runs=a,b');
    const out = withChartView(sp, { x: 'time', smooth: 0.6, logY: true });
    expect(out.get('runs')).toBe('a,b');
    expect(parseChartView(out)).toEqual({ x: 'time', smooth: 0.6, logY: true });
    expect(withChartView(out, { x: 'step', smooth: 0, logY: false }).toString()).toBe('runs=a%2Cb');
    expect(parseChartView(new URLSearchParams('x=bogus&smooth=7'))).toEqual({ x: 'step', smooth: 0.99, logY: false });
  });
  it('builds deep links', () => {
    expect(paths.run('team a', 'abc')).toBe('/workspaces/team%20a/runs/abc');
    expect(paths.run('w', 'abc', 'metrics')).toBe('/workspaces/w/runs/abc?tab=metrics');
    expect(paths.compare('w', ['a', 'b'])).toBe('/workspaces/w/compare?runs=a,b');
    expect(paths.model('w', 'm/1')).toBe('/workspaces/w/models/m%2F1');
  });
});

describe('runs helpers and permissions', () => {
  const run = (id: string, params: Record<string, string>, metrics: Record<string, number> = {}): Run => ({
    info: { run_id: id, experiment_id: '1', status: 'FINISHED' },
    data: {
      params: Object.entries(params).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0, timestamp: 0 })),
      tags: [{ key: 'mlflow.runName', value: `name-${id}` }, { key: 'team', value: 'v' }],
    },
  });
  it('diffs params across runs', () => {
    const rows = [run('a', { lr: '0.1', bs: '32' }), run('b', { lr: '0.2', bs: '32' }), run('c', { bs: '32', opt: 'sgd' })];
    const d = paramDiff(rows.map(toRow));
    expect(d.map((x) => [x.key, x.differs])).toEqual([
      ['bs', false],
      ['lr', true],
      ['opt', true],
    ]);
    expect(d[1].values).toEqual(['0.1', '0.2', undefined]);
  });
  it('names runs and collects column keys', () => {
    const rows = [run('a', { lr: '1' }, { loss: 1 }), run('b', { bs: '2' })].map(toRow);
    expect(rows[0].name).toBe('name-a');
    expect(collectKeys(rows)).toEqual({ params: ['bs', 'lr'], metrics: ['loss'], tags: ['team'] });
  });
  it('hides write actions the caller lacks', () => {
    const who = (a: Record<string, boolean>): WhoAmI => ({ user: 'u', authenticated: true, auth_required: true, workspace: 'w', allowed_actions: a });
    expect(can(undefined, 'workspaces/runs/write')).toBe(false);
    expect(can(who({ 'workspaces/runs/write': false }), 'workspaces/runs/write')).toBe(false);
    expect(can(who({ 'workspaces/experiments/write': true }), 'workspaces/experiments/write')).toBe(true);
    // Unknown action (newer page, older server): falls back to the right to write runs.
    expect(can(who({ 'workspaces/runs/write': true }), 'workspaces/jobs/write')).toBe(true);
    expect(can(who({ 'workspaces/runs/write': false }), 'workspaces/jobs/write')).toBe(false);
  });
});
