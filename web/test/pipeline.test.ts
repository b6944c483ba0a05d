import { describe, expect, it } from 'vitest';
import { assignLayers, countCrossings, laneKey, layoutDag } from '../src/lib/dagLayout';
import { edgePath, pipelineGraph, statusTone } from '../src/lib/pipeline';
import { nestRuns, toRow } from '../src/lib/runs';
import type { Run } from '../src/api/types';

const OPT = { nodeWidth: 100, nodeHeight: 40, gapX: 50, gapY: 10 };

describe('layered layout', () => {
  it('puts each node one layer right of its furthest parent', () => {
    const l = assignLayers(['a', 'b', 'c', 'd'], [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'a', to: 'c' },
      { from: 'd', to: 'c' },
    ]);
    expect(Object.fromEntries(l)).toEqual({ a: 0, b: 1, c: 2, d: 0 });
  });

  it('survives a cycle and unknown nodes in edges', () => {
    const l = assignLayers(['a', 'b'], [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'a' },
      { from: 'x', to: 'a' },
    ]);
    expect(l.size).toBe(2);
    expect(new Set(l.values()).size).toBe(2);
  });

  it('removes the crossing of a twisted two-layer graph', () => {
    // a→y, b→x with the second layer given as [x, y]: one crossing until reordered.
    const edges = [
      { from: 'a', to: 'y' },
      { from: 'b', to: 'x' },
    ];
    expect(countCrossings([['a', 'b'], ['x', 'y']], edges)).toBe(1);
    const lay = layoutDag(['a', 'b', 'x', 'y'], edges, OPT);
    const layers = [0, 1].map((l) =>
      [...lay.nodes.values()].filter((n) => n.layer === l).sort((p, q) => p.order - q.order).map((n) => n.id),
    );
    expect(countCrossings(layers, edges)).toBe(0);
  });

  it('places layers left to right and centres short layers', () => {
    const lay = layoutDag(['src', 'l', 'r', 'sink'], [
      { from: 'src', to: 'l' },
      { from: 'src', to: 'r' },
      { from: 'l', to: 'sink' },
      { from: 'r', to: 'sink' },
    ], OPT);
    const n = (id: string) => lay.nodes.get(id)!;
    expect([n('src').x, n('l').x, n('sink').x]).toEqual([0, 150, 300]);
    expect(n('r').y - n('l').y).toBe(50);
    expect(n('src').y).toBe(25); // centred on the two-node layer
    expect(lay.width).toBe(400);
    expect(lay.height).toBe(90);
    expect(layoutDag([], [], OPT)).toMatchObject({ width: 0, height: 0 });
  });
});

describe('edges that skip layers', () => {
  // a→b→c→d and a→d: the long edge crosses layers 1 and 2, where b and c sit.
  const edges = [
    { from: 'a', to: 'b' },
    { from: 'b', to: 'c' },
    { from: 'c', to: 'd' },
    { from: 'a', to: 'd' },
  ];
  const lay = layoutDag(['a', 'b', 'c', 'd'], edges, OPT);

  it('get a lane in each layer they cross, clear of every box', () => {
    const lanes = lay.lanes.get(laneKey('a', 'd'))!;
    expect(lanes.map((p) => p.x)).toEqual([150, 300]);
    for (const p of lanes)
      for (const n of lay.nodes.values()) {
        const sameColumn = n.x === p.x;
        const inside = p.y >= n.y - 7 && p.y <= n.y + OPT.nodeHeight + 7; // lane is 14 tall
        expect(sameColumn && inside).toBe(false);
      }
    expect(lay.lanes.has(laneKey('a', 'b'))).toBe(false);
    // The layers with a lane are taller: box, gap, lane.
    expect(lay.height).toBe(40 + 10 + 14);
    expect([...lay.nodes.values()].map((n) => n.order)).toEqual([0, 0, 0, 0]);
  });

  it('are drawn through their lanes', () => {
    const lanes = lay.lanes.get(laneKey('a', 'd'))!;
    const r = edgePath({ x: 100, y: 20 }, lanes, 100, { x: 450, y: 20 });
    const ys = lanes.map((p) => p.y);
    expect(r.d).toBe(
      `M 100 20 C 125 20, 125 ${ys[0]}, 150 ${ys[0]} L 250 ${ys[0]} ` +
        `C 275 ${ys[0]}, 275 ${ys[1]}, 300 ${ys[1]} L 400 ${ys[1]} C 425 ${ys[1]}, 425 20, 450 20`,
    );
    expect(edgePath({ x: 0, y: 0 }, [], 100, { x: 50, y: 20 })).toEqual({ d: 'M 0 0 C 25 0, 25 20, 50 20', labelX: 25, labelY: 4 });
  });
});

describe('pipeline graph', () => {
  it('makes labelled edges from bindings and plain ones from depends_on', () => {
    const g = pipelineGraph({
      steps: {
        prep: { status: 'Completed', job: 'p-prep', reused_from: 'old-prep', duration_ms: 1200 },
        train: { status: 'Running', job: 'p-train', depends_on: ['prep'] },
        score: { status: 'NotStarted', job: null, depends_on: ['train', 'prep'] },
      },
      edges: [
        { from: 'prep', output: 'data', to: 'train', input: 'training_data' },
        { from: 'prep', output: 'meta', to: 'train', input: 'meta' },
        { from: 'train', output: 'model', to: 'score', input: 'model' },
        { from: 'nowhere', output: 'x', to: 'score', input: 'y' },
      ],
    });
    expect(g.nodes.map((n) => [n.id, n.status, n.job, n.reusedFrom])).toEqual([
      ['prep', 'Completed', 'p-prep', 'old-prep'],
      ['train', 'Running', 'p-train', null],
      ['score', 'NotStarted', null, null],
    ]);
    expect(g.edges).toEqual([
      { from: 'prep', to: 'train', label: 'data → training_data, meta → meta' },
      { from: 'train', to: 'score', label: 'model → model' },
      { from: 'prep', to: 'score', label: '' },
    ]);
  });

  it('colours statuses', () => {
    expect(['Completed', 'Failed', 'Canceled', 'Running', 'Queued', 'Skipped', 'NotStarted'].map(statusTone)).toEqual([
      'ok', 'bad', 'bad', 'busy', 'busy', 'skipped', 'idle',
    ]);
  });
});

describe('nested runs', () => {
  const run = (id: string, parent?: string): Run => ({
    info: { run_id: id, experiment_id: '1', status: 'FINISHED' },
    data: { tags: parent ? [{ key: 'mlflow.parentRunId', value: parent }] : [] },
  });
  const rows = [run('c1', 'p'), run('x'), run('p'), run('c2', 'p'), run('g', 'c1'), run('orphan', 'gone')].map(toRow);
  const show = (open: string[]) => nestRuns(rows, new Set(open)).map((r) => `${'.'.repeat(r.depth)}${r.id}${r.childCount ? `(${r.childCount})` : ''}`);

  it('hides children under a closed parent', () => {
    expect(show([])).toEqual(['x', 'p(2)', 'orphan']);
  });
  it('puts children under their open parent, in the rows order', () => {
    expect(show(['p'])).toEqual(['x', 'p(2)', '.c1(1)', '.c2', 'orphan']);
    expect(show(['p', 'c1'])).toEqual(['x', 'p(2)', '.c1(1)', '..g', '.c2', 'orphan']);
  });
  it('cuts a cycle of parent tags', () => {
    const cyc = [run('a', 'b'), run('b', 'a')].map(toRow);
    expect(nestRuns(cyc, new Set(['a', 'b'])).map((r) => [r.id, r.depth])).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
  });
});
