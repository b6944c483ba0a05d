// Browser end-to-end tests of the studio: a real `mlws server` (MLWS_BIN, default
// build/release/mlws) serving web/dist, seeded over the REST API, driven by Debian's chromium.
// Run: `npm run e2e` (after `npm run build`). Screenshots go to web/e2e-output/ (gitignored);
// STUDIO_UPDATE_DOCS=1 also refreshes docs/img/studio-compare.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, client, launchBrowser, shotPath, REPO } from './harness.mjs';

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

let server;
let browser;
let page;
const pageErrors = [];
const seed = {};

before(async () => {
  server = await startServer();
  const c = client(server.url);
  const exp = await c.experiment('e2e-exp');
  seed.exp = exp;
  seed.runs = [];
  const t0 = Date.now() - 3_600_000;
  for (let k = 0; k < 3; k++) {
    const id = await c.run(exp, `run-${k}`, t0 + k * 1000);
    seed.runs.push(id);
    await c.logBatch(id, {
      params: [
        { key: 'lr', value: String([0.1, 0.2, 0.3][k]) },
        { key: 'epochs', value: '10' },
      ],
      tags: [{ key: 'team', value: 'vision' }],
    });
    await c.history(id, 'loss', 5000, (i) => 1 / (1 + (i * (k + 1)) / 200));
    await c.history(id, 'accuracy', 500, (i) => 1 - 1 / (1 + (i * (k + 1)) / 50));
    await c.finish(id, t0 + k * 1000 + 65_000);
  }
  const r0 = seed.runs[0];
  await c.artifact(exp, r0, 'notes/hello.txt', 'hello from the e2e test');
  await c.artifact(exp, r0, 'plots/curve.png', PNG);
  await c.artifact(exp, r0, 'user_logs/std_log.txt', 'epoch 1 loss 0.5\nepoch 2 loss 0.25\n');
  await c.post('/runs/log-inputs', {
    run_id: r0,
    datasets: [{ dataset: { name: 'mnist-train', digest: 'd1g3st', source_type: 'local', source: '{"uri":"/data/mnist"}' }, tags: [{ key: 'mlflow.data.context', value: 'training' }] }],
  });
  await c.post('/registered-models/create', { name: 'e2e-model', description: 'digits classifier' });
  await c.post('/model-versions/create', { name: 'e2e-model', source: `runs:/${r0}/model`, run_id: r0 });
  await c.post('/registered-models/alias', { name: 'e2e-model', alias: 'champion', version: '1' });

  // MLflow 3: a logged model from run-0 with a param, a plain and a dataset-scoped metric, a tag
  // and an artifact; and a trace with three nested spans and one feedback assessment.
  await seedLoggedModel(c, exp, r0);
  await seedTrace(c, exp, r0);

  // 250 small runs: the table must page through them on demand.
  const many = await c.experiment('many-runs');
  seed.many = many;
  for (let i = 0; i < 250; i++) {
    const id = await c.run(many, `m-${String(i).padStart(3, '0')}`, t0 + i);
    await c.logBatch(id, { metrics: [{ key: 'score', value: i, timestamp: t0, step: 0 }] });
  }
  await c.call('POST', '/api/v1/workspaces', { name: 'team-a', description: 'second team' });
  await client(server.url, 'team-a').experiment('team-exp');

  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

/** Returns quietly when the server has no MLflow 3 logged models (seed.model stays unset). */
async function seedLoggedModel(c, exp, runId) {
  const lm = await fetch(`${server.url}/api/2.0/mlflow/logged-models`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ experiment_id: exp, name: 'e2e-agent', model_type: 'agent', source_run_id: runId, params: [{ key: 'temperature', value: '0.7' }], tags: [{ key: 'stage', value: 'dev' }] }),
  });
  if (lm.status === 404) return;
  assert.ok(lm.ok, `create logged model: ${lm.status}`);
  const model = (await lm.json()).model.info;
  seed.model = model.model_id;
  await c.post('/runs/log-batch', {
    run_id: runId,
    metrics: [
      { key: 'eval_accuracy', value: 0.93, timestamp: Date.now(), step: 0, model_id: model.model_id, dataset_name: 'golden-set', dataset_digest: 'f00d' },
      { key: 'latency_ms', value: 120, timestamp: Date.now(), step: 0, model_id: model.model_id },
    ],
  });
  await c.call('PATCH', `/logged-models/${model.model_id}`, { status: 'LOGGED_MODEL_READY' });
  const art = model.artifact_uri.replace(/^mlflow-artifacts:\/+/, '');
  const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${art}/MLmodel`, { method: 'PUT', body: 'artifact_path: model\nflavors: {}\n' });
  assert.ok(put.ok, `logged model artifact: ${put.status}`);
}

/** A v3 trace (seed.trace); on a server without the v3 API a 2.x trace instead (seed.traceV2). */
async function seedTrace(c, exp, runId) {
  const v3 = `${server.url}/api/3.0/mlflow`;
  const tid = 'tr-0123456789abcdef0123456789abcdef';
  const start = Date.now() - 60_000;
  const st = await fetch(`${v3}/traces`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      trace: {
        trace_info: {
          trace_id: tid,
          trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp } },
          request_time: new Date(start).toISOString(),
          execution_duration: '0.9s',
          state: 'OK',
          request_preview: '{"question": "what is mlws?"}',
          response_preview: '"an ML workspace server"',
          trace_metadata: { 'mlflow.sourceRun': runId },
          tags: { 'mlflow.traceName': 'answer-question' },
        },
      },
    }),
  });
  if (st.status === 404) return seedTraceV2(c, exp);
  const started = await st.text();
  assert.ok(st.ok, `start trace: ${st.status} ${started}`);
  const loc = JSON.parse(started).trace.trace_info.tags['mlflow.artifactLocation'].replace(/^mlflow-artifacts:\/+/, '');
  const ns = (ms) => String(BigInt(ms) * 1_000_000n);
  const sp = (id, parent, name, type, from, to, inputs, outputs) => ({
    trace_id: 'ASNFZ4mrze8BI0VniavN7w==',
    span_id: id,
    parent_span_id: parent,
    name,
    start_time_unix_nano: ns(start + from),
    end_time_unix_nano: ns(start + to),
    events: [],
    status: { code: 'STATUS_CODE_OK', message: '' },
    attributes: { 'mlflow.spanType': JSON.stringify(type), 'mlflow.spanInputs': JSON.stringify(inputs), 'mlflow.spanOutputs': JSON.stringify(outputs) },
  });
  // Written out of order: the page must nest them by parent and order them by start time.
  const spans = [
    sp('bGxtLWNhbGw=', 'cmV0cmlldmU=', 'llm-call', 'LLM', 300, 850, { prompt: 'context + question' }, { text: 'an ML workspace server' }),
    sp('cm9vdC1zcGFu', null, 'answer-question', 'CHAIN', 0, 900, { question: 'what is mlws?' }, 'an ML workspace server'),
    sp('cmV0cmlldmU=', 'cm9vdC1zcGFu', 'retrieve-docs', 'RETRIEVER', 100, 880, { query: 'mlws' }, [{ doc: 'README.md' }]),
  ];
  const up = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${loc}/traces.json`, { method: 'PUT', body: JSON.stringify({ spans }) });
  assert.ok(up.ok, `trace data: ${up.status}`);
  const as = await fetch(`${v3}/traces/${tid}/assessments`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      assessment: { assessment_name: 'correctness', trace_id: tid, source: { source_type: 'HUMAN', source_id: 'reviewer@example.com' }, feedback: { value: true }, rationale: 'matches the README' },
    }),
  });
  assert.ok(as.ok, `assessment: ${as.status}`);
  seed.trace = tid;
}

async function seedTraceV2(c, exp) {
  const t0 = Date.now() - 30_000;
  const info = (
    await c.post('/traces', {
      experiment_id: exp,
      timestamp_ms: t0,
      request_metadata: [{ key: 'mlflow.traceInputs', value: '{"x": 2}' }],
      tags: [{ key: 'mlflow.traceName', value: 'v2-pipeline' }],
    })
  ).trace_info;
  await c.call('PATCH', `/traces/${info.request_id}`, { timestamp_ms: t0 + 400, status: 'OK' });
  const loc = info.tags.find((t) => t.key === 'mlflow.artifactLocation').value.replace(/^mlflow-artifacts:\/+/, '');
  const ns = (ms) => ms * 1_000_000;
  const sp = (id, parent, name, from, to) => ({
    name, context: { span_id: id, trace_id: '0xabc' }, parent_id: parent, start_time: ns(t0 + from), end_time: ns(t0 + to),
    status_code: 'OK', status_message: '', attributes: { 'mlflow.spanType': '"CHAIN"', 'mlflow.spanInputs': JSON.stringify({ step: name }) }, events: [],
  });
  const spans = [sp('0x02', '0x01', 'step-b', 200, 390), sp('0x01', null, 'pipeline', 0, 400), sp('0x03', '0x01', 'step-a', 10, 190)];
  const up = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${loc}/traces.json`, { method: 'PUT', body: JSON.stringify({ spans }) });
  assert.ok(up.ok, `v2 trace data: ${up.status}`);
  seed.traceV2 = info.request_id;
}

after(async () => {
  await browser?.close();
  await server?.stop();
});

const url = (p) => server.url + p;
const text = (sel) => page.locator(sel).first().innerText();

test('experiments page lists experiments on a cold load', async () => {
  await page.goto(url('/'));
  await page.waitForURL(/\/workspaces\/default\/experiments$/);
  await page.getByRole('link', { name: 'e2e-exp' }).waitFor();
  assert.ok(await page.getByRole('link', { name: 'many-runs' }).isVisible());
  await page.screenshot({ path: shotPath('experiments') });
});

test('runs table: columns, sort, filter, keyboard open', async () => {
  await page.getByRole('link', { name: 'e2e-exp' }).click();
  await page.waitForURL(new RegExp(`/experiments/${seed.exp}$`));
  await page.getByRole('link', { name: 'run-1' }).waitFor();
  assert.match(await text('[data-testid=runs-count]'), /^3 runs/);
  // Add the loss metric and lr param as columns (kept in the URL).
  await page.getByText('Columns (0)').click();
  // A choice goes through the URL (a router transition), so the box turns checked a moment after
  // the click: click, then wait for what the user sees, instead of check()'s immediate assertion.
  await page.locator('[data-testid=column-picker] label', { hasText: 'loss' }).locator('input').click();
  await page.getByText('Columns (1)').waitFor();
  await page.locator('[data-testid=column-picker] label', { hasText: /^\s*lr$/ }).locator('input').click();
  await page.getByText('Columns (2)').click();
  await page.waitForURL(/cols=/);
  await page.getByRole('columnheader', { name: /loss/ }).waitFor();
  // Sort by loss ascending: run-2 has the lowest final loss.
  await page.getByRole('columnheader', { name: /loss/ }).getByRole('button').click();
  await page.getByRole('columnheader', { name: /loss/ }).getByRole('button').click();
  await page.waitForURL(/desc=0/);
  await page.waitForFunction(() => document.querySelector('[role=grid] [role=row][aria-rowindex="2"]')?.textContent?.includes('run-2'));
  // Filter with the MLflow grammar.
  await page.fill('[data-testid=run-filter]', "params.lr = '0.2'");
  await page.press('[data-testid=run-filter]', 'Enter');
  await page.waitForURL(/q=params/);
  await page.waitForFunction(() => document.querySelector('[data-testid=runs-count]')?.textContent === '1 run');
  assert.ok(await page.getByRole('link', { name: 'run-1' }).isVisible());
  // A bad filter is explained, not swallowed.
  await page.fill('[data-testid=run-filter]', 'metrics.loss <<< 1');
  await page.press('[data-testid=run-filter]', 'Enter');
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').innerText(), /could not accept/);
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByRole('link', { name: 'run-0' }).waitFor();
  await page.screenshot({ path: shotPath('runs') });
  // Keyboard: focus the grid, move down twice, Enter opens that run.
  await page.locator('[data-testid=runs-grid]').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/runs\/[0-9a-f]{32}$/);
  await page.locator('[data-testid=run-name]').waitFor();
});

test('back button returns to the filtered runs table', async () => {
  await page.goBack();
  await page.waitForURL(new RegExp(`/experiments/${seed.exp}\\?`));
  await page.getByRole('columnheader', { name: /loss/ }).waitFor();
});

test('run detail: overview, metrics, params, artifacts, logs, inputs, lineage', async () => {
  const r0 = seed.runs[0];
  await page.goto(url(`/workspaces/default/runs/${r0}`));
  await page.locator('[data-testid=run-name]', { hasText: 'run-0' }).waitFor();
  assert.ok(await page.getByText(r0).first().isVisible());
  await page.getByRole('tab', { name: 'Metrics' }).click();
  await page.waitForURL(/tab=metrics/);
  await page.locator('[data-testid="chart-loss"] canvas').waitFor();
  await page.locator('[data-testid="chart-accuracy"] canvas').waitFor();
  // Smoothing and the time axis are URL state too.
  await page.selectOption('[data-testid=x-axis]', 'relative');
  await page.waitForURL(/x=relative/);
  await page.locator('[data-testid="chart-loss"] canvas').waitFor();
  await page.screenshot({ path: shotPath('run-metrics') });
  await page.getByRole('tab', { name: 'Params' }).click();
  await page.getByRole('rowheader', { name: 'lr' }).waitFor();
  assert.ok(await page.getByRole('cell', { name: '0.1', exact: true }).isVisible());
  await page.getByRole('tab', { name: 'Artifacts' }).click();
  await page.getByRole('button', { name: /notes/ }).click();
  await page.getByRole('button', { name: /hello\.txt/ }).click();
  await page.locator('[data-testid=artifact-text]', { hasText: 'hello from the e2e test' }).waitFor();
  await page.getByRole('button', { name: /plots/ }).click();
  await page.getByRole('button', { name: /curve\.png/ }).click();
  await page.locator('img[alt="plots/curve.png"]').waitFor();
  await page.getByRole('tab', { name: 'Logs' }).click();
  await page.locator('[data-testid=artifact-text]', { hasText: 'epoch 2 loss 0.25' }).waitFor();
  await page.getByRole('tab', { name: 'Inputs' }).click();
  await page.getByRole('cell', { name: 'mnist-train' }).waitFor();
  await page.getByRole('tab', { name: 'Lineage' }).click();
  await page.locator('[data-testid=lineage]').getByRole('link', { name: 'e2e-model' }).waitFor();
  // A run without logs says so.
  await page.goto(url(`/workspaces/default/runs/${seed.runs[1]}?tab=logs`));
  await page.getByText('No logs for this run').waitFor();
});

test('deep link and reload land on the same view', async () => {
  const r2 = seed.runs[2];
  const link = url(`/workspaces/default/runs/${r2}?tab=params`);
  const fresh = await browser.newPage();
  await fresh.goto(link);
  await fresh.locator('[data-testid=run-name]', { hasText: 'run-2' }).waitFor();
  await fresh.getByRole('cell', { name: '0.3', exact: true }).waitFor();
  await fresh.reload();
  await fresh.getByRole('cell', { name: '0.3', exact: true }).waitFor();
  await fresh.close();
});

test('links the MLflow client prints open the page they name', async () => {
  const fresh = await browser.newPage();
  await fresh.goto(url(`/#/experiments/${seed.exp}/runs/${seed.runs[1]}`));
  await fresh.locator('[data-testid=run-name]', { hasText: 'run-1' }).waitFor();
  assert.match(fresh.url(), new RegExp(`/workspaces/default/runs/${seed.runs[1]}$`));
  await fresh.goto(url(`/#/experiments/${seed.exp}`));
  await fresh.getByRole('link', { name: 'run-0' }).waitFor();
  assert.match(fresh.url(), new RegExp(`/workspaces/default/experiments/${seed.exp}$`));
  await fresh.goto(url('/workspaces/default/#/models/e2e-model/versions/1'));
  await fresh.locator('[data-testid=versions-table] tr.selected').waitFor();
  assert.match(fresh.url(), /\/workspaces\/default\/models\/e2e-model\?version=1$/);
  await fresh.close();
});

test('compare two runs: overlaid charts and highlighted param differences', async () => {
  await page.goto(url(`/workspaces/default/experiments/${seed.exp}`));
  await page.getByRole('link', { name: 'run-0' }).waitFor();
  // Select with Space on the keyboard and with a click on the checkbox.
  await page.locator('[data-testid=runs-grid]').focus();
  await page.keyboard.press('Space');
  await page.getByRole('checkbox', { name: 'Select run-0' }).check();
  await page.locator('[data-testid=compare-button]', { hasText: '(2)' }).click();
  await page.waitForURL(/\/compare\?runs=/);
  await page.getByRole('heading', { name: 'Comparing 2 runs' }).waitFor();
  await page.locator('[data-testid="chart-loss"] canvas').waitFor();
  const lr = page.locator('[data-testid=param-diff] tr', { has: page.getByRole('rowheader', { name: /^lr/ }) });
  assert.equal(await lr.getAttribute('data-differs'), 'true');
  const epochs = page.locator('[data-testid=param-diff] tr', { has: page.getByRole('rowheader', { name: /^epochs/ }) });
  assert.equal(await epochs.getAttribute('data-differs'), 'false');
  // Three runs by deep link; a screenshot for the docs.
  await page.goto(url(`/workspaces/default/compare?runs=${seed.runs.join(',')}&smooth=0.3`));
  await page.getByRole('heading', { name: 'Comparing 3 runs' }).waitFor();
  await page.locator('[data-testid="chart-loss"] canvas').waitFor();
  await page.locator('[data-testid="chart-accuracy"] canvas').waitFor();
  await page.waitForTimeout(200);
  const shot = shotPath('compare');
  await page.screenshot({ path: shot, fullPage: true });
  if (process.env.STUDIO_UPDATE_DOCS === '1') {
    mkdirSync(join(REPO, 'docs/img'), { recursive: true });
    copyFileSync(shot, join(REPO, 'docs/img/studio-compare.png'));
  }
});

test('runs table pages through 250 runs on demand while scrolling', async () => {
  await page.goto(url(`/workspaces/default/experiments/${seed.many}`));
  await page.getByRole('link', { name: 'm-249' }).waitFor();
  assert.equal(await text('[data-testid=runs-count]'), '100+ runs');
  const rowsInDom = await page.locator('[data-testid=runs-grid] [role=row]').count();
  assert.ok(rowsInDom < 80, `only visible rows are rendered, got ${rowsInDom}`);
  for (let i = 0; i < 20; i++) {
    await page.locator('[data-testid=runs-grid]').evaluate((el) => el.scrollBy(0, 4000));
    await page.waitForTimeout(100);
    if ((await text('[data-testid=runs-count]')) === '250 runs') break;
  }
  assert.equal(await text('[data-testid=runs-count]'), '250 runs');
  await page.locator('[data-testid=runs-grid]').evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await page.getByRole('link', { name: 'm-000' }).waitFor();
});

test('models: registry list and versions with alias and source run', async () => {
  await page.goto(url('/workspaces/default/models'));
  await page.getByRole('link', { name: 'e2e-model' }).click();
  await page.waitForURL(/\/models\/e2e-model$/);
  await page.getByText('digits classifier').waitFor();
  const table = page.locator('[data-testid=versions-table]');
  await table.getByText('@champion').waitFor();
  await table.getByRole('link', { name: seed.runs[0].slice(0, 8) }).click();
  await page.locator('[data-testid=run-name]', { hasText: 'run-0' }).waitFor();
  await page.goBack();
  await page.waitForURL(/\/models\/e2e-model$/);
});

test('experiment Models tab: logged models with status, source run, params and metrics', async (t) => {
  if (!seed.model) return t.skip('this server has no MLflow 3 logged models');
  await page.goto(url(`/workspaces/default/experiments/${seed.exp}`));
  await page.getByRole('tab', { name: 'Models' }).click();
  await page.waitForURL(/\?tab=models$/);
  const table = page.locator('[data-testid=logged-models-table]');
  await table.getByRole('link', { name: 'e2e-agent' }).waitFor();
  await table.getByText('READY', { exact: true }).waitFor();
  await table.getByText('temperature=0.7').waitFor();
  await table.getByText('eval_accuracy (golden-set): 0.93').waitFor();
  assert.ok(await table.getByRole('link', { name: seed.runs[0].slice(0, 8) }).isVisible());
  await page.screenshot({ path: shotPath('logged-models') });
  // A reload keeps the tab; the model's page has its info, labelled metrics, tags and artifacts.
  await page.reload();
  await table.getByRole('link', { name: 'e2e-agent' }).click();
  await page.waitForURL(new RegExp(`/workspaces/default/logged-models/${seed.model}$`));
  await page.locator('[data-testid=logged-model-name]', { hasText: 'e2e-agent' }).waitFor();
  await page.getByText(seed.model, { exact: true }).waitFor();
  await page.locator('[data-testid=logged-model-params]').getByRole('rowheader', { name: 'temperature' }).waitFor();
  const metrics = page.locator('[data-testid=logged-model-metrics]');
  const acc = metrics.locator('tr', { hasText: 'eval_accuracy' });
  assert.match(await acc.innerText(), /0\.93[\s\S]*golden-set \(digest f00d\)/);
  assert.match(await metrics.locator('tr', { hasText: 'latency_ms' }).innerText(), /120[\s\S]*—/);
  await page.locator('[data-testid=logged-model-tags]').getByRole('rowheader', { name: 'stage' }).waitFor();
  await page.getByRole('button', { name: /MLmodel/ }).click();
  await page.locator('[data-testid=artifact-text]', { hasText: 'flavors' }).waitFor();
  await page.screenshot({ path: shotPath('logged-model'), fullPage: true });
  // The source run link opens the run; the breadcrumb goes back to the Models tab.
  await page.locator('dl.fields').getByRole('link', { name: seed.runs[0].slice(0, 8) }).click();
  await page.locator('[data-testid=run-name]', { hasText: 'run-0' }).waitFor();
  await page.goBack();
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'e2e-exp' }).click();
  await page.waitForURL(new RegExp(`/experiments/${seed.exp}\\?tab=models$`));
  await page.locator('[data-testid=logged-models-table]').waitFor();
});

test('experiment Models tab pages through 105 logged models with Load more', async (t) => {
  if (!seed.model) return t.skip('this server has no MLflow 3 logged models');
  const c = client(server.url);
  const exp = await c.experiment('many-models');
  for (let i = 0; i < 105; i++) await c.post('/logged-models', { experiment_id: exp, name: `lm-${String(i).padStart(3, '0')}` });
  await page.goto(url(`/workspaces/default/experiments/${exp}?tab=models`));
  const rows = page.locator('[data-testid=logged-models-table] tbody tr');
  await rows.nth(99).waitFor();
  assert.equal(await rows.count(), 100);
  await page.getByTestId('load-more').click();
  await rows.nth(104).waitFor();
  assert.equal(await rows.count(), 105);
  await page.getByTestId('load-more').waitFor({ state: 'detached' });
  const names = await rows.evaluateAll((els) => els.map((e) => e.querySelector('a')?.textContent));
  assert.equal(new Set(names).size, 105, 'no model is listed twice');
});

test('experiment Traces tab and a trace page: nested spans with timing, inputs/outputs, assessments', async (t) => {
  if (!seed.trace) return t.skip('this server has no MLflow 3 traces');
  await page.goto(url(`/workspaces/default/experiments/${seed.exp}?tab=traces`));
  const table = page.locator('[data-testid=traces-table]');
  const row = table.locator('tr', { hasText: seed.trace });
  await row.waitFor();
  const rowText = await row.innerText();
  assert.match(rowText, /answer-question/);
  assert.match(rowText, /what is mlws\?/);
  assert.match(rowText, /OK/);
  assert.match(rowText, /900 ms/);
  await page.screenshot({ path: shotPath('traces') });
  await row.getByRole('link', { name: seed.trace }).click();
  await page.waitForURL(new RegExp(`/workspaces/default/traces/${seed.trace}$`));
  await page.locator('[data-testid=trace-name]', { hasText: 'answer-question' }).waitFor();
  // Three spans, nested root → retrieve-docs → llm-call, in that order.
  const rows = page.locator('[data-testid=span-tree] [data-testid=span-row]');
  await rows.nth(2).waitFor();
  assert.equal(await rows.count(), 3);
  const names = await rows.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-depth')}:${e.querySelector('.span-label')?.firstChild?.textContent}`));
  assert.deepEqual(names, ['0:answer-question', '1:retrieve-docs', '2:llm-call']);
  assert.match(await rows.nth(2).innerText(), /LLM[\s\S]*OK[\s\S]*550 ms/);
  // The timing bar of llm-call starts a third of the way in (300 of 900 ms).
  const left = await rows.nth(2).locator('.span-bar-fill').evaluate((e) => e.style.left);
  assert.match(left, /^33\.3/);
  // The root is selected first; choosing a span shows its inputs and outputs.
  await page.locator('[data-testid=span-inputs]', { hasText: '"question": "what is mlws?"' }).waitFor();
  await rows.nth(2).getByRole('button').click();
  await page.locator('[data-testid=span-detail] h3', { hasText: 'llm-call' }).waitFor();
  await page.locator('[data-testid=span-inputs]', { hasText: 'context + question' }).waitFor();
  await page.locator('[data-testid=span-outputs]', { hasText: '"text": "an ML workspace server"' }).waitFor();
  const a = page.locator('[data-testid=assessments-table] tr', { hasText: 'correctness' });
  assert.match(await a.innerText(), /feedback[\s\S]*true[\s\S]*HUMAN: reviewer@example\.com[\s\S]*matches the README/);
  await page.screenshot({ path: shotPath('trace'), fullPage: true });
  await page.locator('dl.fields').getByRole('link', { name: seed.runs[0].slice(0, 8) }).waitFor();
});

test('Traces tab falls back to the 2.x trace API on a server without v3 traces', async (t) => {
  if (!seed.traceV2) return t.skip('this server has the v3 trace API (tested above)');
  await page.goto(url(`/workspaces/default/experiments/${seed.exp}?tab=traces`));
  await page.locator('[data-testid=traces-table]').getByRole('link', { name: seed.traceV2 }).click();
  await page.locator('[data-testid=trace-name]', { hasText: 'v2-pipeline' }).waitFor();
  const rows = page.locator('[data-testid=span-tree] [data-testid=span-row]');
  await rows.nth(2).waitFor();
  const names = await rows.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-depth')}:${e.querySelector('.span-label')?.firstChild?.textContent}`));
  assert.deepEqual(names, ['0:pipeline', '1:step-a', '1:step-b']);
  await page.locator('[data-testid=span-inputs]', { hasText: '"step": "pipeline"' }).waitFor();
});

test('workspace switcher moves to the other workspace', async () => {
  await page.goto(url('/workspaces/default/experiments'));
  await page.selectOption('[data-testid=workspace-switcher]', 'team-a');
  await page.waitForURL(/\/workspaces\/team-a\/experiments$/);
  await page.getByRole('link', { name: 'team-exp' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'e2e-exp' }).count(), 0);
});

test('asset, job, compute and datastore pages show content or "not available"', async () => {
  for (const [path, heading] of [
    ['data', 'Data assets'],
    ['environments', 'Environments'],
    ['components', 'Components'],
    ['jobs', 'Jobs'],
    ['compute', 'Compute'],
    ['datastores', 'Datastores'],
  ]) {
    await page.goto(url(`/workspaces/default/${path}`));
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    await page.waitForFunction(() => !document.querySelector('[role=status]'));
    const alerts = await page.getByRole('alert').count();
    assert.equal(alerts, 0, `${path} shows an error: ${alerts ? await page.getByRole('alert').innerText() : ''}`);
  }
});

test('the Cost link in the navigation opens the cost-over-time page of the workspace', async () => {
  await page.goto(url('/workspaces/team-a/experiments'));
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Cost', exact: true }).click();
  await page.waitForURL(/\/workspaces\/team-a\/cost$/);
  await page.getByRole('heading', { name: 'Cost over time', exact: true }).waitFor();
  await page.waitForFunction(() => !document.querySelector('[role=status]'));
  assert.equal(await page.getByRole('alert').count(), 0);
});

test('data assets: list, versions and lineage (when the server has the asset API)', async (t) => {
  const v1 = `${server.url}/api/v1/workspaces/default/data`;
  if ((await fetch(v1)).status === 404) return t.skip('this server has no asset API yet');
  for (const version of ['1', '2']) {
    const r = await fetch(v1, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'mnist', version, type: 'uri_file', path: 'azureml://datastores/workspaceblobstore/paths/mnist.csv', description: `digits v${version}` }),
    });
    assert.ok(r.ok, `create data asset: ${r.status} ${await r.text()}`);
  }
  await page.goto(url('/workspaces/default/data'));
  await page.locator('[data-testid=assets-table]').getByRole('link', { name: 'mnist' }).click();
  await page.waitForURL(/\/data\/mnist\?version=2$/);
  await page.getByText('digits v2', { exact: true }).waitFor();
  await page.locator('[data-testid=asset-lineage]').getByText('Not produced by a tracked run').waitFor();
  await page.locator('[data-testid=asset-files]').getByText('Nothing is stored at this path (yet).').waitFor();
  await page.getByRole('combobox', { name: 'Version' }).selectOption('1');
  await page.getByText('digits v1', { exact: true }).waitFor();
  await page.goBack();
  await page.getByText('digits v2', { exact: true }).waitFor();
});

test('data asset files: uploaded by the CLI, browsed and downloaded in the studio', async (t) => {
  if ((await fetch(`${server.url}/api/v1/workspaces/default/data`)).status === 404) return t.skip('no asset API');
  const dir = mkdtempSync(join(tmpdir(), 'studio-data-'));
  mkdirSync(join(dir, 'folder', 'train'), { recursive: true });
  writeFileSync(join(dir, 'folder', 'train', 'a.csv'), 'x,y\n1,2\n');
  writeFileSync(join(dir, 'folder', 'readme.txt'), 'hello');
  writeFileSync(join(dir, 'd.yml'), 'name: uploaded-folder\ntype: uri_folder\npath: folder\n');
  execFileSync(join(server.home, 'mlws'), ['--url', server.url, 'data', 'create', '-f', join(dir, 'd.yml')]);
  await page.goto(url('/workspaces/default/data/uploaded-folder'));
  const files = page.locator('[data-testid=asset-files]');
  await files.getByRole('button', { name: 'readme.txt' }).waitFor();
  await files.getByRole('button', { name: 'train/' }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), files.getByRole('button', { name: 'a.csv' }).click()]);
  assert.equal(download.suggestedFilename(), 'a.csv');
  assert.equal(readFileSync(await download.path(), 'utf8'), 'x,y\n1,2\n');
  await files.getByRole('button', { name: '↑ up' }).click();
  await files.getByRole('button', { name: 'readme.txt' }).waitFor();
  rmSync(dir, { recursive: true, force: true });
});

test('datastores page browses the default datastore down to a compute instance\'s Users/<owner>/ notebooks', async () => {
  // Where a compute instance of alice's saves her notebooks (docs/compute.md): Users/alice/ of
  // the workspace's default datastore, stored under the server's artifacts folder by workspace
  // id ("default", made on the first start, is 1).
  const folder = join(server.home, 'data', 'artifacts', '1', 'datastores', 'workspaceblobstore', 'Users', 'alice');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'analysis.ipynb'), '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}');
  await page.goto(url('/workspaces/default/datastores'));
  await page.getByRole('button', { name: 'workspaceblobstore', exact: true }).click();
  const files = page.locator('[data-testid=asset-files]');
  await files.getByRole('button', { name: 'Users/' }).click();
  await files.getByRole('button', { name: 'alice/' }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), files.getByRole('button', { name: 'analysis.ipynb' }).click()]);
  assert.equal(download.suggestedFilename(), 'analysis.ipynb');
  await files.getByRole('button', { name: '↑ up' }).click();
  await files.getByRole('button', { name: 'alice/' }).waitFor();
  await files.getByRole('button', { name: '↑ up' }).click();
  await files.getByRole('button', { name: 'Users/' }).waitFor();
});

test('jobs: live log tail, run link, cancel (when the server runs jobs)', async (t) => {
  const v1 = `${server.url}/api/v1/workspaces/default/jobs`;
  if ((await fetch(v1)).status === 404) return t.skip('this server has no jobs API yet');
  const submit = async (display_name, command) => {
    const r = await fetch(v1, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ display_name, command, experiment_name: 'e2e-jobs' }) });
    const body = await r.text();
    assert.ok(r.ok, `submit job: ${r.status} ${body}`);
    return JSON.parse(body).name;
  };
  const quick = await submit('hello-job', 'echo first line; sleep 2; echo last line');
  await page.goto(url('/workspaces/default/jobs'));
  await page.getByRole('link', { name: 'hello-job' }).click();
  await page.waitForURL(new RegExp(`/jobs/${quick}$`));
  await page.locator('[data-testid=job-log]', { hasText: 'first line' }).waitFor();
  await page.locator('[data-testid=job-log]', { hasText: 'last line' }).waitFor({ timeout: 20_000 });
  await page.locator('.badge', { hasText: 'Completed' }).waitFor({ timeout: 20_000 });
  // The job's run keeps the log as an artifact: the run page's Logs tab shows it.
  await page.locator('dl.fields').getByRole('link').first().click();
  await page.getByRole('tab', { name: 'Logs' }).click();
  await page.locator('[data-testid=artifact-text]', { hasText: 'last line' }).waitFor();

  const slow = await submit('slow-job', 'echo sleeping; sleep 60');
  await page.goto(url(`/workspaces/default/jobs/${slow}`));
  await page.locator('[data-testid=job-log]', { hasText: 'sleeping' }).waitFor({ timeout: 20_000 });
  await page.getByRole('button', { name: 'Cancel job' }).click();
  await page.locator('.badge', { hasText: /Cancel/ }).waitFor({ timeout: 20_000 });
});

test('dark mode toggle and empty states', async () => {
  await page.goto(url('/workspaces/team-a/experiments'));
  const before = await page.evaluate(() => document.documentElement.dataset.theme);
  await page.getByTestId('theme-toggle').click();
  const afterTheme = await page.evaluate(() => document.documentElement.dataset.theme);
  assert.notEqual(before, afterTheme);
  await page.getByRole('link', { name: 'team-exp' }).click();
  await page.getByText('No runs in this experiment yet').waitFor();
  assert.match(await page.locator('pre.code').innerText(), /mlflow\.set_tracking_uri\(".*\/workspaces\/team-a"\)/);
  await page.screenshot({ path: shotPath('empty-dark') });
  await page.getByTestId('theme-toggle').click();
});

test('sign-in (password and token) when the server requires authentication; write buttons follow the role', async () => {
  const s2 = await startServer();
  try {
    const post = async (path, body, auth) => {
      const r = await fetch(`${s2.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) },
        body: JSON.stringify(body),
      });
      const text = await r.text();
      assert.ok(r.ok, `${path}: ${r.status} ${text}`);
      return JSON.parse(text);
    };
    // The first user becomes an Owner and switches authentication on.
    await post('/api/v1/users', { name: 'alice', password: 'correct horse battery' });
    const alice = 'Basic ' + Buffer.from('alice:correct horse battery').toString('base64');
    await post('/api/v1/users', { name: 'bob', password: 'bob password 42' }, alice);
    await post('/api/v1/role-assignments', { user: 'bob', role: 'Reader', workspace: 'default' }, alice);
    const token = (await post('/api/v1/tokens', { name: 'e2e' }, alice)).secret;

    // alice signs in with her password (after one wrong try) and may create experiments.
    const p2 = await browser.newPage();
    await p2.goto(`${s2.url}/workspaces/default/experiments`);
    await p2.getByRole('heading', { name: 'Sign in to mlws' }).waitFor();
    await p2.fill('input[autocomplete=username]', 'alice');
    await p2.fill('input[type=password]', 'wrong password');
    await p2.getByRole('button', { name: 'Sign in' }).click();
    await p2.getByRole('alert').waitFor();
    assert.match(await p2.getByRole('alert').innerText(), /not accepted/);
    await p2.fill('input[type=password]', 'correct horse battery');
    await p2.getByRole('button', { name: 'Sign in' }).click();
    await p2.getByRole('heading', { name: 'Experiments', exact: true }).waitFor();
    await p2.locator('.topbar .user', { hasText: 'alice' }).waitFor();
    await p2.getByRole('button', { name: 'Create' }).waitFor();
    // The credential survives a reload (sessionStorage), so no second sign-in.
    await p2.reload();
    await p2.getByRole('button', { name: 'Create' }).waitFor();
    await p2.close();

    // The same with an API token.
    const p3 = await browser.newPage();
    await p3.goto(`${s2.url}/workspaces/default/models`);
    await p3.getByRole('tab', { name: 'API token' }).click();
    await p3.getByPlaceholder('mlws_…').fill(token);
    await p3.getByRole('button', { name: 'Sign in' }).click();
    await p3.getByRole('heading', { name: 'Models', exact: true }).waitFor();
    await p3.close();

    // bob is a Reader: he sees the experiments but not the Create form.
    const p4 = await browser.newPage();
    await p4.goto(`${s2.url}/workspaces/default/experiments`);
    await p4.fill('input[autocomplete=username]', 'bob');
    await p4.fill('input[type=password]', 'bob password 42');
    await p4.getByRole('button', { name: 'Sign in' }).click();
    await p4.locator('.topbar .user', { hasText: 'bob' }).waitFor();
    await p4.getByRole('link', { name: 'Default' }).waitFor();
    assert.equal(await p4.getByRole('button', { name: 'Create' }).count(), 0);
    await p4.close();
  } finally {
    await s2.stop();
  }
});

test('no uncaught errors in the page', () => {
  assert.deepEqual(pageErrors, []);
});
