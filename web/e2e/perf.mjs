// Studio performance: seeds a real mlws server and measures, in Debian's chromium,
//   1. first paint of the runs table on a cold load (new browser context, empty cache),
//   2. the compare chart of 100 runs × 10,000 points (fetch + downsample + draw),
//   3. scrolling the runs table of 100,000 runs (frame times, rows in the DOM, pages fetched).
// Usage: node e2e/perf.mjs [--quick]   (--quick: 20 runs × 10,000 points, 5,000 runs)
// Needs web/dist (npm run build) and the server binary (MLWS_BIN, default build/release/mlws).
import { startServer, client, launchBrowser } from './harness.mjs';

const quick = process.argv.includes('--quick');
const CHART_RUNS = quick ? 20 : 100;
const POINTS = 10_000;
const TABLE_RUNS = quick ? 5_000 : 100_000;

async function pool(n, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

const ms = (x) => `${Math.round(x)} ms`;
const server = await startServer();
const c = client(server.url);
const out = {};
try {
  // Seed: chart runs with long histories.
  let t = performance.now();
  const chartExp = await c.experiment('perf-chart');
  const chartRuns = new Array(CHART_RUNS);
  await pool(CHART_RUNS, 8, async (k) => {
    const id = await c.run(chartExp, `chart-${k}`);
    chartRuns[k] = id;
    await c.history(id, 'loss', POINTS, (i) => 1 / (1 + (i * (1 + k / 10)) / 500) + 0.02 * Math.sin(i / 7 + k));
  });
  console.log(`seeded ${CHART_RUNS} runs × ${POINTS} points in ${ms(performance.now() - t)}`);

  // Seed: a wide experiment for the table.
  t = performance.now();
  const tableExp = await c.experiment('perf-table');
  const t0 = Date.now() - 86_400_000;
  await pool(TABLE_RUNS, 16, async (i) => {
    await c.post('/runs/create', {
      experiment_id: tableExp,
      run_name: `r-${String(i).padStart(6, '0')}`,
      start_time: t0 + i,
      tags: [{ key: 'lr', value: String((i % 10) / 100) }],
    });
  });
  console.log(`seeded ${TABLE_RUNS} runs in ${ms(performance.now() - t)}`);

  const browser = await launchBrowser();
  try {
    // 1. Cold load: a fresh context has an empty cache.
    const firstPaints = [];
    for (let i = 0; i < 3; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await ctx.newPage();
      const start = Date.now();
      await page.goto(`${server.url}/workspaces/default/experiments/${tableExp}`);
      await page.locator('[role=grid] [role=row][aria-rowindex="2"]').waitFor();
      const wall = Date.now() - start;
      const nav = await page.evaluate(() => {
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        return { fcp: fcp ? fcp.startTime : NaN, rows: performance.now() };
      });
      firstPaints.push({ wall, fcp: nav.fcp, rows: nav.rows });
      await ctx.close();
    }
    const best = firstPaints.sort((a, b) => a.wall - b.wall)[Math.floor(firstPaints.length / 2)];
    out.coldLoad = `first contentful paint ${ms(best.fcp)}, first runs visible ${ms(best.rows)} after navigation start (median of 3 cold loads; ${ms(best.wall)} wall time incl. browser overhead)`;

    // 2. Compare chart: 100 runs × 10,000 points.
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await ctx.newPage();
    const url = `${server.url}/workspaces/default/compare?runs=${chartRuns.join(',')}`;
    const chartTimes = [];
    for (let i = 0; i < 3; i++) {
      const start = Date.now();
      await page.goto(url);
      await page.locator('[data-testid="chart-loss"][data-render-ms]').waitFor({ timeout: 60_000 });
      const total = Date.now() - start;
      const draw = Number(await page.locator('[data-testid="chart-loss"]').getAttribute('data-render-ms'));
      const points = Number(await page.locator('[data-testid="chart-loss"]').getAttribute('data-points'));
      const drawnAt = Number(await page.locator('[data-testid="chart-loss"]').getAttribute('data-drawn-at'));
      const net = await page.evaluate(() => {
        const rs = performance.getEntriesByType('resource');
        const span = (f) => {
          const xs = rs.filter((r) => f(r.name));
          return xs.length ? Math.max(...xs.map((r) => r.responseEnd)) - Math.min(...xs.map((r) => r.startTime)) : 0;
        };
        const first = (f) => Math.min(...rs.filter((r) => f(r.name)).map((r) => r.startTime));
        return {
          runs: span((n) => n.includes('/runs/get')),
          bulk: span((n) => n.includes('bulk-interval')),
          runsStart: first((n) => n.includes('/runs/get')),
          bulkStart: first((n) => n.includes('bulk-interval')),
        };
      });
      chartTimes.push({ total, draw, points, drawnAt, ...net });
    }
    const mid = chartTimes.sort((a, b) => a.drawnAt - b.drawnAt)[1];
    out.chart =
      `${CHART_RUNS} runs × ${POINTS} points: downsample + draw ${ms(mid.draw)} (${mid.points} cells); ` +
      `chart drawn ${ms(mid.drawnAt)} after navigation start (${ms(mid.total)} wall time incl. browser overhead), ` +
      `of which ${ms(mid.runs)} fetching the runs and ${ms(mid.bulk)} fetching their sampled history (median of 3)`;

    // 3. Scroll the 100k-run table: 200 frames of 1,500 px each, then jump to the end of what is loaded.
    await page.goto(`${server.url}/workspaces/default/experiments/${tableExp}`);
    await page.locator('[role=grid] [role=row][aria-rowindex="2"]').waitFor();
    const scroll = await page.evaluate(async () => {
      const grid = document.querySelector('[data-testid=runs-grid]');
      const frames = [];
      let last = performance.now();
      const startT = last;
      for (let i = 0; i < 200; i++) {
        grid.scrollBy(0, 1500);
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        frames.push(now - last);
        last = now;
      }
      // Let outstanding page fetches land.
      await new Promise((r) => setTimeout(r, 1500));
      const count = document.querySelector('[data-testid=runs-count]').textContent;
      const rowsInDom = grid.querySelectorAll('[role=row]').length;
      frames.sort((a, b) => a - b);
      const p = (q) => frames[Math.min(frames.length - 1, Math.floor(q * frames.length))];
      return { total: performance.now() - startT, median: p(0.5), p95: p(0.95), max: frames[frames.length - 1], count, rowsInDom };
    });
    out.scroll = `200 scroll steps of 1,500 px: frame time median ${scroll.median.toFixed(1)} ms, p95 ${scroll.p95.toFixed(1)} ms, max ${scroll.max.toFixed(1)} ms; ${scroll.count} loaded on demand (of ${TABLE_RUNS}); ${scroll.rowsInDom} rows in the DOM`;
    await ctx.close();
  } finally {
    await browser.close();
  }
} finally {
  await server.stop();
}
console.log('\nstudio perf' + (quick ? ' (--quick)' : ''));
console.log(`  cold load of the runs table: ${out.coldLoad}`);
console.log(`  compare chart: ${out.chart}`);
console.log(`  runs table scroll: ${out.scroll}`);
