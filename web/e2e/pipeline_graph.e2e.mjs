// Browser test of the pipeline graph's edge routing: an edge that skips layers runs through the
// lanes the layout keeps free in the layers between and never passes behind a step's box. A real
// `mlws server` (harness.mjs) holds the pipeline; the graph's shape is known as soon as the job
// is created, so the test waits only for the graph to render.
// Run: `node --test e2e/pipeline_graph.e2e.mjs` from web/ (after `npm run build`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, shotPath } from './harness.mjs';

let server;
let browser;
let page;
const pageErrors = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.setDefaultTimeout(30_000);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('pipeline graph: edges that skip layers go around the boxes, not behind them', async () => {
  const name = `pipe_skip_${Date.now()}`;
  // a → b → c → d, and a's output also straight into c and d (edges over one and two layers).
  const out = (s) => `\${{parent.jobs.${s}.outputs.o}}`;
  const spec = {
    type: 'pipeline',
    name,
    jobs: {
      a: { command: 'echo a > ${{outputs.o}}/x', outputs: { o: null } },
      b: { command: 'cat ${{inputs.i}}/x > ${{outputs.o}}/x', inputs: { i: out('a') }, outputs: { o: null } },
      c: { command: 'cat ${{inputs.i}}/x ${{inputs.first}}/x > ${{outputs.o}}/x', inputs: { i: out('b'), first: out('a') }, outputs: { o: null } },
      d: { command: 'cat ${{inputs.i}}/x ${{inputs.first}}/x', inputs: { i: out('c'), first: out('a') } },
    },
  };
  const r = await fetch(`${server.url}/api/v1/workspaces/default/jobs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(spec),
  });
  assert.equal(r.status, 201, await r.text());
  await page.goto(`${server.url}/workspaces/default/jobs/${name}`);
  await page.getByTestId('pipeline-graph').waitFor();
  await page.locator('[data-testid=pipeline-node]').nth(3).waitFor();
  const lanes = await page
    .getByTestId('pipeline-edge')
    .evaluateAll((els) => Object.fromEntries(els.map((e) => [`${e.dataset.from}>${e.dataset.to}`, Number(e.dataset.lanes)])));
  assert.deepEqual(lanes, { 'a>b': 0, 'b>c': 0, 'c>d': 0, 'a>c': 1, 'a>d': 2 });
  // Walk every edge's path in screen coordinates: no point of it lies inside a box other than
  // its own two ends' boxes (a 2 px margin for the stroke).
  const hits = await page.evaluate(() => {
    const boxes = [...document.querySelectorAll('[data-testid=pipeline-node]')].map((g) => ({
      step: g.dataset.step,
      rect: g.querySelector('rect').getBoundingClientRect(),
    }));
    const found = [];
    for (const g of document.querySelectorAll('[data-testid=pipeline-edge]')) {
      const path = g.querySelector('path');
      const m = path.getScreenCTM();
      const len = path.getTotalLength();
      for (let s = 0; s <= len; s += 2) {
        const p = path.getPointAtLength(s);
        const x = m.a * p.x + m.c * p.y + m.e;
        const y = m.b * p.x + m.d * p.y + m.f;
        for (const b of boxes) {
          if (b.step === g.dataset.from || b.step === g.dataset.to) continue;
          const r = b.rect;
          if (x > r.left + 2 && x < r.right - 2 && y > r.top + 2 && y < r.bottom - 2) {
            found.push(`${g.dataset.from}>${g.dataset.to} passes behind ${b.step}`);
            break;
          }
        }
      }
    }
    return [...new Set(found)];
  });
  await page.screenshot({ path: shotPath('pipeline-skip-edges') });
  assert.deepEqual(hits, []);
  assert.deepEqual(pageErrors, []);
});
