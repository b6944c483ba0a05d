import { describe, expect, it } from 'vitest';
import { alignSeries, lttb, minMaxBuckets, smooth } from '../src/lib/downsample';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('lttb', () => {
  it('returns the input when it is already small', () => {
    const [x, y] = lttb([0, 1, 2], [5, 6, 7], 10);
    expect(x).toEqual([0, 1, 2]);
    expect(y).toEqual([5, 6, 7]);
  });
  it('keeps first, last and the spike', () => {
    const xs = range(10000);
    const ys = xs.map((i) => (i === 5000 ? 100 : Math.sin(i / 100)));
    const [x, y] = lttb(xs, ys, 500);
    expect(x.length).toBe(500);
    expect(x[0]).toBe(0);
    expect(x[x.length - 1]).toBe(9999);
    expect(Math.max(...y)).toBe(100);
    for (let i = 1; i < x.length; i++) expect(x[i]).toBeGreaterThan(x[i - 1]);
  });
  it('is fast enough for 100 runs × 10,000 points', () => {
    const xs = range(10000);
    const ys = xs.map((i) => Math.random() + i / 1000);
    const t = performance.now();
    for (let r = 0; r < 100; r++) lttb(xs, ys, 1000);
    expect(performance.now() - t).toBeLessThan(1000);
  });
});

describe('minMaxBuckets', () => {
  it('keeps min and max per bucket', () => {
    const xs = range(1000);
    const ys = xs.map((i) => (i === 123 ? -50 : i === 777 ? 50 : 0));
    const [x, y] = minMaxBuckets(xs, ys, 10);
    expect(x.length).toBeLessThanOrEqual(20);
    expect(y).toContain(-50);
    expect(y).toContain(50);
    for (let i = 1; i < x.length; i++) expect(x[i]).toBeGreaterThan(x[i - 1]);
  });
});

describe('smooth', () => {
  it('is the identity at weight 0', () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
  });
  it('debiases the first point and converges', () => {
    const s = smooth([10, 10, 10, 10], 0.9);
    s.forEach((v) => expect(v).toBeCloseTo(10, 10));
    const step = smooth([0, 0, 0, 1, 1, 1, 1, 1, 1, 1], 0.5);
    expect(step[2]).toBe(0);
    expect(step[9]).toBeGreaterThan(0.9);
    expect(step[9]).toBeLessThan(1);
  });
  it('passes NaN through without poisoning later points', () => {
    const s = smooth([1, NaN, 1], 0.5);
    expect(Number.isNaN(s[1])).toBe(true);
    expect(s[2]).toBeCloseTo(1, 10);
  });
});

describe('alignSeries', () => {
  it('joins on the union of x with nulls for gaps', () => {
    const r = alignSeries(
      [
        { label: 'a', xs: [0, 2], ys: [1, 3] },
        { label: 'b', xs: [1, 2], ys: [5, 6] },
      ],
      100,
    );
    expect(r.x).toEqual([0, 1, 2]);
    expect(r.ys).toEqual([
      [1, null, 3],
      [null, 5, 6],
    ]);
  });
  it('snaps to at most maxX buckets when the union is large', () => {
    const series = range(100).map((k) => ({ label: String(k), xs: range(1000).map((i) => i * 10 + k * 0.01), ys: range(1000) }));
    const r = alignSeries(series, 2000);
    expect(r.x.length).toBeLessThanOrEqual(2000);
    expect(r.ys).toHaveLength(100);
    expect(r.ys[0].filter((v) => v !== null).length).toBeGreaterThan(900);
  });
  it('maps non-finite values to null', () => {
    expect(alignSeries([{ label: 'a', xs: [0, 1], ys: [Infinity, 2] }], 10).ys[0]).toEqual([null, 2]);
  });
});
