// Downsampling and smoothing for metric charts. The server already samples long histories
// (get-history-bulk-interval, at most 2500 points per run); these keep the drawn point count near
// the chart's pixel width whatever the server returns. Pure functions, unit-tested.

/**
 * Largest-Triangle-Three-Buckets (Steinarsson 2013): keeps the first and last points and, per
 * bucket, the point forming the largest triangle with its neighbours — the visual shape survives.
 * `xs` must be ascending. Returns new arrays of length min(threshold, n).
 */
export function lttb(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number): [number[], number[]] {
  const n = xs.length;
  if (threshold >= n || threshold < 3) return [Array.from(xs), Array.from(ys)];
  const ox: number[] = [xs[0]];
  const oy: number[] = [ys[0]];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    // Average of the next bucket: the third triangle vertex.
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += xs[j];
      avgY += ys[j];
    }
    const cnt = nextEnd - nextStart || 1;
    avgX /= cnt;
    avgY /= cnt;
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    const ax = xs[a];
    const ay = ys[a];
    let maxArea = -1;
    let pick = start;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - avgX) * (ys[j] - ay) - (ax - xs[j]) * (avgY - ay));
      if (area > maxArea) {
        maxArea = area;
        pick = j;
      }
    }
    ox.push(xs[pick]);
    oy.push(ys[pick]);
    a = pick;
  }
  ox.push(xs[n - 1]);
  oy.push(ys[n - 1]);
  return [ox, oy];
}

/**
 * Min/max buckets: splits the x range into `buckets` equal spans and keeps, per span, the lowest
 * and the highest point (in x order). Spikes never disappear; at most 2*buckets points come back.
 */
export function minMaxBuckets(xs: ArrayLike<number>, ys: ArrayLike<number>, buckets: number): [number[], number[]] {
  const n = xs.length;
  if (n <= 2 * buckets || buckets < 1) return [Array.from(xs), Array.from(ys)];
  const x0 = xs[0];
  const span = xs[n - 1] - x0 || 1;
  const ox: number[] = [];
  const oy: number[] = [];
  let i = 0;
  while (i < n) {
    const b = Math.min(buckets - 1, Math.floor(((xs[i] - x0) / span) * buckets));
    let lo = i;
    let hi = i;
    let j = i + 1;
    for (; j < n && Math.min(buckets - 1, Math.floor(((xs[j] - x0) / span) * buckets)) === b; j++) {
      if (ys[j] < ys[lo]) lo = j;
      if (ys[j] > ys[hi]) hi = j;
    }
    const first = Math.min(lo, hi);
    const second = Math.max(lo, hi);
    ox.push(xs[first]);
    oy.push(ys[first]);
    if (second !== first) {
      ox.push(xs[second]);
      oy.push(ys[second]);
    }
    i = j;
  }
  return [ox, oy];
}

/**
 * Exponential moving average with TensorBoard's debiasing, `weight` in [0, 1): 0 leaves the series
 * as is. NaN/Infinity points are passed through and do not poison the average.
 */
export function smooth(ys: ArrayLike<number>, weight: number): number[] {
  const out = new Array<number>(ys.length);
  if (weight <= 0) {
    for (let i = 0; i < ys.length; i++) out[i] = ys[i];
    return out;
  }
  let last = 0;
  let k = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    last = last * weight + (1 - weight) * y;
    k++;
    out[i] = last / (1 - Math.pow(weight, k));
  }
  return out;
}

export interface Series {
  label: string;
  xs: number[];
  ys: number[];
}

/**
 * Puts many series on one shared x axis (what uPlot draws): the sorted union of x values, each
 * series holding null where it has no point. When the union is larger than `maxX`, x values are
 * snapped to `maxX` equal buckets first (last value per bucket wins), so 100 runs × 10,000 points
 * cost at most maxX × 100 cells.
 */
export function alignSeries(series: Series[], maxX: number): { x: number[]; ys: (number | null)[][] } {
  const all = new Set<number>();
  for (const s of series) for (const x of s.xs) all.add(x);
  let snap: ((x: number) => number) | null = null;
  if (all.size > maxX) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of all) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    const width = (hi - lo) / (maxX - 1) || 1;
    snap = (x: number) => lo + Math.round((x - lo) / width) * width;
    all.clear();
    for (const s of series) for (const x of s.xs) all.add(snap(x));
  }
  const x = Array.from(all).sort((a, b) => a - b);
  const index = new Map<number, number>();
  x.forEach((v, i) => index.set(v, i));
  const ys = series.map((s) => {
    const col = new Array<number | null>(x.length).fill(null);
    for (let i = 0; i < s.xs.length; i++) {
      const xv = snap ? snap(s.xs[i]) : s.xs[i];
      col[index.get(xv)!] = Number.isFinite(s.ys[i]) ? s.ys[i] : null;
    }
    return col;
  });
  return { x, ys };
}
