// Sweep trials for the sweep job page: parallel-coordinates axes (one per search-space parameter,
// then the primary metric) and the best-so-far curve of the objective. Pure, unit-tested.

export interface Trial {
  index: number;
  job: string;
  run_id: string;
  status: string;
  params: Record<string, unknown>;
  value?: number;
  error?: string;
}

export interface Axis {
  key: string;
  kind: 'number' | 'category';
  /** number axes: the range; category axes: the values, bottom to top. */
  min: number;
  max: number;
  categories: string[];
  /** Where a trial's value sits on the axis, 0 (bottom) .. 1 (top); null when it has none. */
  pos: (v: unknown) => number | null;
}

/** Parameter keys across the trials, in first-seen order. */
export function paramKeys(trials: Trial[]): string[] {
  const keys: string[] = [];
  for (const t of trials) for (const k of Object.keys(t.params ?? {})) if (!keys.includes(k)) keys.push(k);
  return keys;
}

function asNumber(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** An axis over `values`: numeric when every present value is a number, else categorical. */
export function makeAxis(key: string, values: unknown[], log = false): Axis {
  const present = values.filter((v) => v !== undefined && v !== null);
  const nums = present.map(asNumber);
  if (present.length > 0 && nums.every((n) => n !== null)) {
    const ns = nums as number[];
    const useLog = log && ns.every((n) => n > 0);
    const f = (n: number) => (useLog ? Math.log10(n) : n);
    const min = Math.min(...ns);
    const max = Math.max(...ns);
    const lo = f(min);
    const span = f(max) - lo;
    return {
      key,
      kind: 'number',
      min,
      max,
      categories: [],
      pos: (v) => {
        const n = asNumber(v);
        if (n === null) return null;
        return span === 0 ? 0.5 : (f(n) - lo) / span;
      },
    };
  }
  const categories = Array.from(new Set(present.map((v) => String(v)))).sort();
  return {
    key,
    kind: 'category',
    min: 0,
    max: categories.length - 1,
    categories,
    pos: (v) => {
      if (v === undefined || v === null) return null;
      const i = categories.indexOf(String(v));
      if (i < 0) return null;
      return categories.length === 1 ? 0.5 : i / (categories.length - 1);
    },
  };
}

/** One axis per parameter, then the metric axis (trials without a value have no point on it). */
export function parallelAxes(trials: Trial[], metric: string): Axis[] {
  const axes = paramKeys(trials).map((k) => makeAxis(k, trials.map((t) => t.params?.[k])));
  axes.push(makeAxis(metric, trials.map((t) => t.value)));
  return axes;
}

/** Whether `a` is a better objective than `b`. */
export function better(a: number, b: number, goal: string): boolean {
  return goal.toLowerCase() === 'maximize' ? a > b : a < b;
}

/**
 * Trials with a value in the order they ended (`endTime` by run id; trials with no end time
 * after those with one, by index), with the best value so far at each.
 */
export function objectiveOverTime(
  trials: Trial[],
  endTime: Record<string, number | undefined>,
  goal: string,
): { index: number; time: number | undefined; value: number; best: number }[] {
  const done = trials.filter((t) => typeof t.value === 'number');
  done.sort((a, b) => {
    const ta = endTime[a.run_id];
    const tb = endTime[b.run_id];
    if (ta !== undefined && tb !== undefined && ta !== tb) return ta - tb;
    if ((ta === undefined) !== (tb === undefined)) return ta === undefined ? 1 : -1;
    return a.index - b.index;
  });
  let best: number | undefined;
  return done.map((t) => {
    const v = t.value as number;
    if (best === undefined || better(v, best, goal)) best = v;
    return { index: t.index, time: endTime[t.run_id], value: v, best };
  });
}
