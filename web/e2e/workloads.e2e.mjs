// Browser tests of the workload pages: a pipeline job's graph (live until Completed, reuse, click
// through, child runs nested in the runs table, edges that skip layers routed around the boxes),
// a sweep job's trials and charts, and the online endpoint pages. A real `mlws server`
// (harness.mjs) runs the jobs and scoring instances; every wait is on an event the page shows (a
// status, a node's colour), not on a fixed sleep.
// Run: `node --test e2e/workloads.e2e.mjs` from web/ (after `npm run build`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, shotPath } from './harness.mjs';

let server;
let browser;
let page;
let ownerAuth; // set once the permissions test switched authentication on
const pageErrors = [];

const url = (p) => `${server.url}${p}`;
const v1 = (p) => `${server.url}/api/v1/workspaces/default${p}`;

async function call(method, path, body) {
  const r = await fetch(path.startsWith('http') ? path : v1(path), {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

// A step that waits until its run has the tag gate=open (set by the test), so the test sees the
// pipeline running before it lets it finish.
const GATE =
  'until curl -s "$MLFLOW_TRACKING_URI/api/2.0/mlflow/runs/get?run_id=$MLFLOW_RUN_ID" | grep -q gate-open; do sleep 0.05; done';

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.setDefaultTimeout(30_000);
});

after(async () => {
  await browser?.close();
  // Scoring instances outlive a stopped server on purpose: delete the endpoints first.
  const headers = ownerAuth ? { Authorization: ownerAuth } : {};
  for (const e of (await fetch(v1('/online-endpoints'), { headers }).then((r) => r.json()).catch(() => ({}))).value ?? [])
    await fetch(v1(`/online-endpoints/${e.name}`), { method: 'DELETE', headers });
  await server?.stop();
});

function threeSteps(name, { gate }) {
  return {
    type: 'pipeline',
    name,
    experiment_name: 'e2e-pipelines',
    jobs: {
      prep: { command: `${gate ? `${GATE} && ` : ''}echo rows > \${{outputs.data}}/rows.txt`, outputs: { data: null } },
      train: {
        command: 'cat ${{inputs.training_data}}/rows.txt > ${{outputs.model}}/model.txt',
        inputs: { training_data: '${{parent.jobs.prep.outputs.data}}' },
        outputs: { model: null },
      },
      score: { command: 'cat ${{inputs.model}}/model.txt', inputs: { model: '${{parent.jobs.train.outputs.model}}' } },
    },
  };
}

const cssVar = (name) => page.evaluate((n) => getComputedStyle(document.documentElement).getPropertyValue(n).trim(), name);
const strokeOf = (step) =>
  page.locator(`[data-testid=pipeline-node][data-step=${step}] rect`).evaluate((el) => getComputedStyle(el).stroke);
const toRgb = (colour) =>
  page.evaluate((c) => {
    const el = document.createElement('div');
    el.style.color = c;
    document.body.appendChild(el);
    const out = getComputedStyle(el).color;
    el.remove();
    return out;
  }, colour);

test('pipeline graph: steps coloured by status, labelled edges, live until Completed, click through', async () => {
  const name = `pipe_${Date.now()}`;
  await call('POST', '/jobs', threeSteps(name, { gate: true }));
  await page.goto(url(`/workspaces/default/jobs/${name}`));
  const graph = page.getByTestId('pipeline-graph');
  await graph.waitFor();
  const nodes = page.getByTestId('pipeline-node');
  assert.equal(await nodes.count(), 3);
  assert.deepEqual((await nodes.evaluateAll((els) => els.map((e) => e.dataset.step))).sort(), ['prep', 'score', 'train']);
  // Edges: prep → train → score, labelled output → input.
  const edges = await page.getByTestId('pipeline-edge').evaluateAll((els) => els.map((e) => `${e.dataset.from}>${e.dataset.to}:${e.textContent}`));
  assert.deepEqual(edges.sort(), ['prep>train:data → training_data', 'train>score:model → model']);
  // Layered left to right.
  const x = async (s) => (await page.locator(`[data-testid=pipeline-node][data-step=${s}]`).boundingBox()).x;
  assert.ok((await x('prep')) < (await x('train')) && (await x('train')) < (await x('score')));

  // prep runs (busy colour) while its gate is closed; the others have not started.
  await page.locator('[data-testid=pipeline-node][data-step=prep][data-status=Running]').waitFor();
  assert.equal(await strokeOf('prep'), await toRgb(await cssVar('--busy')));
  assert.equal(await page.locator('[data-testid=pipeline-node][data-step=score]').getAttribute('data-tone'), 'idle');
  await page.screenshot({ path: shotPath('pipeline-running') });

  // Open the gate: the page follows the pipeline to Completed without a reload.
  const job = await call('GET', `/jobs/${name}`);
  const prep = await call('GET', `/jobs/${job.steps.prep.job}`);
  await call('POST', url('/api/2.0/mlflow/runs/set-tag'), { run_id: prep.run_id, key: 'gate', value: 'gate-open' });
  await page.locator('.page-head .badge', { hasText: 'Completed' }).waitFor({ timeout: 60_000 });
  for (const s of ['prep', 'train', 'score']) {
    await page.locator(`[data-testid=pipeline-node][data-step=${s}][data-status=Completed]`).waitFor();
    assert.equal(await strokeOf(s), await toRgb(await cssVar('--ok')));
  }
  await page.screenshot({ path: shotPath('pipeline-completed') });

  // A step opens its run.
  const done = await call('GET', `/jobs/${name}`);
  const train = await call('GET', `/jobs/${done.steps.train.job}`);
  await page.locator('[data-testid=pipeline-node][data-step=train]').click();
  await page.waitForURL(new RegExp(`/runs/${train.run_id}$`));

  // The same pipeline again is reused step by step; the graph and the steps table say from where.
  const again = `${name}_again`;
  await call('POST', '/jobs', threeSteps(again, { gate: true }));
  await page.goto(url(`/workspaces/default/jobs/${again}`));
  await page.locator('.page-head .badge', { hasText: 'Completed' }).waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('reused-mark').count(), 3);
  assert.match(await page.locator('[data-testid=pipeline-node][data-step=prep]').getAttribute('aria-label'), new RegExp(`reused from ${job.steps.prep.job}`));
  await page.getByTestId('pipeline-steps').getByRole('link', { name: done.steps.train.job }).first().waitFor();

  // The runs table nests the steps' runs under the pipeline's run.
  const exp = await call('GET', url('/api/2.0/mlflow/experiments/get-by-name?experiment_name=e2e-pipelines'));
  await page.goto(url(`/workspaces/default/experiments/${exp.experiment.experiment_id}`));
  const toggle = page.getByRole('button', { name: new RegExp(`Show the 3 child runs of ${name}$`) });
  await toggle.waitFor();
  const depth1 = page.locator('[role=grid] a[data-depth="1"]');
  const base = await depth1.count();
  await toggle.click();
  await page.waitForFunction((n) => document.querySelectorAll('[role=grid] a[data-depth="1"]').length === n + 3, base);
  assert.match(page.url(), /open=/);
  await page.getByRole('button', { name: new RegExp(`Hide the 3 child runs of ${name}$`) }).click();
  await page.waitForFunction((n) => document.querySelectorAll('[role=grid] a[data-depth="1"]').length === n, base);
});

// An edge that skips layers runs through the lanes the layout keeps free in the layers between,
// never behind a step's box. The graph's shape is known once the job exists: no step need run.
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
  await call('POST', '/jobs', spec);
  await page.goto(url(`/workspaces/default/jobs/${name}`));
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
});

test('sweep: trials sorted by the objective with the best marked, parallel coordinates, objective over time', async () => {
  const name = `sweep_${Date.now()}`;
  await call('POST', '/jobs', {
    type: 'sweep',
    name,
    experiment_name: 'e2e-sweeps',
    trial: { command: `python3 -c "import mlws_log; mlws_log.log_metric('acc', float(\${{search_space.lr}}) * (2 if '\${{search_space.opt}}' == 'adam' else 1))"` },
    sampling_algorithm: { type: 'random', seed: 7 },
    search_space: { lr: { type: 'uniform', min_value: 0.1, max_value: 1.0 }, opt: { type: 'choice', values: ['adam', 'sgd'] } },
    objective: { goal: 'maximize', primary_metric: 'acc' },
    limits: { max_total_trials: 4, max_concurrent_trials: 2 },
  });
  await page.goto(url(`/workspaces/default/jobs/${name}`));
  await page.locator('.page-head .badge', { hasText: 'Completed' }).waitFor({ timeout: 90_000 });
  const job = await call('GET', `/jobs/${name}`);
  const table = page.getByTestId('sweep-trials');
  await table.waitFor();
  const rows = table.locator('tbody tr');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=sweep-trials] tbody tr').length === 4);
  // Sorted best first (maximize), the first row marked best.
  const values = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.lastElementChild.textContent)));
  assert.deepEqual(values, [...values].sort((a, b) => b - a));
  assert.equal(await rows.first().getByTestId('best-trial').count(), 1);
  assert.equal(await table.getByTestId('best-trial').count(), 1);
  assert.match(await rows.first().innerText(), new RegExp(job.best_trial));
  const headers = await table.locator('thead th').allInnerTexts();
  assert.deepEqual(headers.slice(3), ['lr', 'opt', 'acc']);
  // Parallel coordinates: lr, opt, acc axes and one line per trial, the best one emphasised.
  const pc = page.getByTestId('parallel-coordinates');
  assert.deepEqual(await pc.getByTestId('pc-axis').evaluateAll((els) => els.map((e) => e.dataset.key)), ['lr', 'opt', 'acc']);
  assert.equal(await pc.getByTestId('pc-line').count(), 4);
  assert.equal(await pc.locator('[data-best="1"]').count(), 1);
  // Objective over time: a uPlot chart with the trial values and the best so far.
  const chart = page.getByTestId('chart-acc over time');
  await chart.locator('canvas').waitFor();
  assert.ok(Number(await chart.getAttribute('data-points')) >= 4);
  await page.screenshot({ path: shotPath('sweep'), fullPage: true });
  // A trial opens its run.
  await rows.first().getByRole('link').first().click();
  await page.waitForURL(/\/runs\//);
});

// A scoring script with only the standard library: answers {"n", "who"}; {"raise": msg} raises.
const SCORE = `
import json, os

def init():
    global who
    who = os.environ.get("WHO", "?")

def run(raw_data):
    req = json.loads(raw_data)
    if "raise" in req:
        raise ValueError(req["raise"])
    return {"who": who, "n": req.get("n")}
`;

test('endpoints: list, deployments, traffic edit, last-hour charts, instance log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlws-studio-ep-'));
  const cli = (...args) => execFileSync(join(server.home, 'mlws'), ['--url', server.url, ...args], { cwd: dir, encoding: 'utf8', timeout: 240_000 });
  try {
    mkdirSync(join(dir, 'code'));
    mkdirSync(join(dir, 'model'));
    writeFileSync(join(dir, 'code', 'score.py'), SCORE);
    writeFileSync(join(dir, 'model', 'weights.txt'), 'w');
    writeFileSync(join(dir, 'ep.yml'), 'name: studio-ep\nauth_mode: key\n');
    for (const d of ['blue', 'green'])
      writeFileSync(
        join(dir, `${d}.yml`),
        `name: ${d}\nendpoint_name: studio-ep\nmodel:\n  path: model\ncode_configuration:\n  code: code\n  scoring_script: score.py\ninstance_count: 1\nenvironment_variables:\n  WHO: ${d}\n`,
      );
    cli('online-endpoint', 'create', '-f', 'ep.yml');
    cli('online-deployment', 'create', '-f', 'blue.yml', '--all-traffic');
    cli('online-deployment', 'create', '-f', 'green.yml');
    const { primaryKey } = await call('POST', '/online-endpoints/studio-ep/list-keys', {});
    const score = (body, rid) =>
      fetch(v1('/online-endpoints/studio-ep/score'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${primaryKey}`, 'x-request-id': rid },
        body: JSON.stringify(body),
      });
    for (let i = 0; i < 5; i++) assert.equal((await score({ n: i }, `studio-req-${i}`)).status, 200);
    assert.equal((await score({ raise: 'bad input on purpose' }, 'studio-req-raise')).status, 500);

    await page.goto(url('/workspaces/default/endpoints'));
    const row = page.getByTestId('endpoints').locator('tr', { hasText: 'studio-ep' });
    assert.match(await row.innerText(), /blue 100%/);
    await row.getByRole('link', { name: 'studio-ep' }).click();
    await page.waitForURL(/\/endpoints\/studio-ep$/);
    const deps = page.getByTestId('deployments');
    await deps.locator('tr', { hasText: 'green' }).waitFor();
    assert.match(await deps.locator('tr', { hasText: 'blue' }).innerText(), /Succeeded\s+100%/);
    assert.match(await deps.locator('tr', { hasText: 'green' }).innerText(), /0%/);

    // The last hour: the front door counted 6 requests to blue, one of them a 500.
    await page.locator('[data-testid=requests-blue]', { hasText: /^6$/ }).waitFor();
    assert.equal(await page.getByTestId('server-errors-blue').innerText(), '1');
    assert.equal(await page.getByTestId('requests-green').innerText(), '0');
    for (const t of ['requests per minute', 'errors per minute', 'latency ms (p50, p90, p99)'])
      await page.getByTestId(`chart-${t}`).locator('canvas').waitFor();
    // The instance log names each request id.
    await page.locator('[data-testid=endpoint-log]', { hasText: 'studio-req-3' }).waitFor();
    assert.match(await page.getByTestId('endpoint-log').innerText(), /studio-req-raise: run\(\) raised ValueError/);

    // Traffic: a split that does not add up cannot be saved; 90/10 is saved through PATCH.
    const editor = page.getByTestId('traffic-editor');
    await editor.getByLabel('Traffic to blue (%)').fill('90');
    await editor.getByLabel('Traffic to green (%)').fill('5');
    await editor.getByText('add up to 95%').waitFor();
    assert.equal(await editor.getByRole('button', { name: 'Save traffic' }).isDisabled(), true);
    await editor.getByLabel('Traffic to green (%)').fill('10');
    await editor.getByRole('button', { name: 'Save traffic' }).click();
    await editor.getByRole('status').filter({ hasText: 'Traffic is now blue 90% · green 10%' }).waitFor();
    assert.deepEqual((await call('GET', '/online-endpoints/studio-ep')).traffic, { blue: 90, green: 10 });
    await page.locator('.page-head', { hasText: 'blue 90% · green 10%' }).waitFor();
    await page.screenshot({ path: shotPath('endpoint'), fullPage: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('endpoints: a Reader sees the endpoint but not the traffic editor', async () => {
  // The first user becomes an Owner and switches authentication on (so this test runs last).
  await call('POST', url('/api/v1/users'), { name: 'olivia', password: 'owner password 1' });
  ownerAuth = 'Basic ' + Buffer.from('olivia:owner password 1').toString('base64');
  const post = async (path, body) => {
    const r = await fetch(url(path), { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: ownerAuth }, body: JSON.stringify(body) });
    assert.ok(r.ok, `${path}: ${r.status} ${await r.text()}`);
  };
  await post('/api/v1/users', { name: 'rita', password: 'reader password 1' });
  await post('/api/v1/role-assignments', { user: 'rita', role: 'Reader', workspace: 'default' });
  const signIn = async (user, password) => {
    const p = await browser.newPage();
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    await p.goto(url('/workspaces/default/endpoints/studio-ep'));
    await p.fill('input[autocomplete=username]', user);
    await p.fill('input[type=password]', password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.locator('.topbar .user', { hasText: user }).waitFor();
    await p.getByTestId('deployments').locator('tr', { hasText: 'green' }).waitFor();
    return p;
  };
  const reader = await signIn('rita', 'reader password 1');
  await reader.locator('[data-testid=requests-blue]').waitFor();
  assert.equal(await reader.getByTestId('traffic-editor').count(), 0);
  await reader.close();
  const owner = await signIn('olivia', 'owner password 1');
  await owner.getByTestId('traffic-editor').waitFor();
  await owner.close();
});

test('no uncaught errors in the page', () => {
  assert.deepEqual(pageErrors, []);
});
