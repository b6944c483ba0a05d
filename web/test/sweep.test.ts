import { describe, expect, it } from 'vitest';
import { makeAxis, objectiveOverTime, parallelAxes, paramKeys, type Trial } from '../src/lib/sweep';

const trials: Trial[] = [
  { index: 0, job: 't0', run_id: 'r0', status: 'Completed', params: { lr: 0.1, opt: 'adam' }, value: 0.5 },
  { index: 1, job: 't1', run_id: 'r1', status: 'Completed', params: { lr: 0.3, opt: 'sgd' }, value: 0.7 },
  { index: 2, job: 't2', run_id: 'r2', status: 'Running', params: { lr: 0.2, opt: 'adam', extra: 1 } },
  { index: 3, job: 't3', run_id: 'r3', status: 'Completed', params: { lr: 0.2, opt: 'sgd' }, value: 0.6 },
];

describe('sweep axes', () => {
  it('numeric axes scale from min to max', () => {
    const a = makeAxis('lr', [0.1, 0.3, '0.2']);
    expect(a.kind).toBe('number');
    expect([a.pos(0.1), a.pos(0.3), a.pos('0.2'), a.pos(undefined)]).toEqual([0, 1, expect.closeTo(0.5), null]);
    expect(makeAxis('k', [4, 4]).pos(4)).toBe(0.5);
    expect(makeAxis('k', [1, 10, 100], true).pos(10)).toBeCloseTo(0.5);
  });
  it('categorical axes spread sorted values', () => {
    const a = makeAxis('opt', ['sgd', 'adam', 'sgd', 'rms']);
    expect(a.kind).toBe('category');
    expect(a.categories).toEqual(['adam', 'rms', 'sgd']);
    expect([a.pos('adam'), a.pos('rms'), a.pos('sgd'), a.pos('other')]).toEqual([0, 0.5, 1, null]);
  });
  it('one axis per param then the metric', () => {
    expect(paramKeys(trials)).toEqual(['lr', 'opt', 'extra']);
    const axes = parallelAxes(trials, 'acc');
    expect(axes.map((a) => a.key)).toEqual(['lr', 'opt', 'extra', 'acc']);
    expect(axes[3].pos(0.7)).toBe(1);
    expect(axes[3].pos(undefined)).toBeNull();
  });
});

describe('objective over time', () => {
  it('orders ended trials by end time with the best so far', () => {
    const end = { r0: 3000, r1: 1000, r3: 2000 };
    expect(objectiveOverTime(trials, end, 'maximize').map((p) => [p.index, p.value, p.best])).toEqual([
      [1, 0.7, 0.7],
      [3, 0.6, 0.7],
      [0, 0.5, 0.7],
    ]);
    expect(objectiveOverTime(trials, end, 'minimize').map((p) => p.best)).toEqual([0.7, 0.6, 0.5]);
  });
  it('falls back to the trial index without end times', () => {
    expect(objectiveOverTime(trials, { r3: 5 }, 'minimize').map((p) => p.index)).toEqual([3, 0, 1]);
  });
});
