// Test harness for the studio's browser tests and perf script: starts a real `mlws server` on a
// free loopback port (< 32768) with a temp --home and --web-root web/dist, seeds data over the
// REST API, and launches Debian's chromium through playwright-core.
import { spawn } from 'node:child_process';
import { copyFileSync, chmodSync, mkdtempSync, rmSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB = resolve(here, '..');
export const REPO = resolve(WEB, '..');
export const SHOTS = join(WEB, 'e2e-output');

function freePort() {
  return new Promise((ok, fail) => {
    const tryOne = (left) => {
      const port = 20000 + Math.floor(Math.random() * 12000);
      const s = createServer();
      s.once('error', () => (left > 0 ? tryOne(left - 1) : fail(new Error('no free port'))));
      s.listen(port, '127.0.0.1', () => s.close(() => ok(port)));
    };
    tryOne(50);
  });
}

/** Starts mlws; returns { url, stop, home }. The binary is copied first: a relink may replace it. */
export async function startServer({ webRoot = join(WEB, 'dist') } = {}) {
  const bin = resolve(REPO, process.env.MLWS_BIN || 'build/release/mlws');
  const home = mkdtempSync(join(tmpdir(), 'mlws-studio-'));
  const copy = join(home, 'mlws');
  for (let i = 0; ; i++) {
    try {
      copyFileSync(bin, copy);
      break;
    } catch (e) {
      if (i >= 30) {
        rmSync(home, { recursive: true, force: true });
        throw new Error(`cannot copy the server binary ${bin}: ${e.message}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  chmodSync(copy, 0o755);
  // Jobs run under the supervisor binary that sits next to mlws.
  const supervisor = join(dirname(bin), 'mlws-job-supervisor');
  if (existsSync(supervisor)) {
    copyFileSync(supervisor, join(home, 'mlws-job-supervisor'));
    chmodSync(join(home, 'mlws-job-supervisor'), 0o755);
  }
  // The Python helpers jobs and scoring instances import (mlws_log, mlws_scoring) are found in
  // python/ next to the binary.
  if (existsSync(join(REPO, 'python'))) symlinkSync(join(REPO, 'python'), join(home, 'python'));
  if (!existsSync(join(webRoot, 'index.html'))) throw new Error(`${webRoot}/index.html is missing: run \`npm run build\` in web/`);
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const proc = spawn(copy, ['server', '--host', '127.0.0.1', '--port', String(port), '--home', join(home, 'data'), '--web-root', webRoot], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr += d));
    // Never leave a server behind, even when the script dies on an uncaught error.
    process.once('exit', () => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (proc.exitCode !== null) break;
      try {
        const r = await fetch(`${url}/health`);
        if (r.ok) {
          const stop = async () => {
            proc.kill('SIGTERM');
            await new Promise((r2) => (proc.exitCode !== null ? r2() : proc.once('exit', r2)));
            rmSync(home, { recursive: true, force: true });
          };
          return { url, stop, home };
        }
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    proc.kill('SIGKILL');
    if (attempt === 4) throw new Error(`mlws server did not start: ${stderr}`);
  }
}

/** A tiny REST client bound to one server. */
export function client(url, ws = 'default') {
  const base = ws === 'default' ? `${url}/api/2.0/mlflow` : `${url}/workspaces/${ws}/api/2.0/mlflow`;
  const call = async (method, path, body) => {
    const r = await fetch(path.startsWith('/api/v1') ? url + path : base + path, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : {};
  };
  return {
    call,
    post: (p, b) => call('POST', p, b),
    get: (p) => call('GET', p),
    async experiment(name) {
      return (await call('POST', '/experiments/create', { name })).experiment_id;
    },
    async run(experiment_id, run_name, start_time = Date.now()) {
      const r = await call('POST', '/runs/create', { experiment_id, run_name, start_time });
      return r.run.info.run_id;
    },
    logBatch: (run_id, b) => call('POST', '/runs/log-batch', { run_id, ...b }),
    async finish(run_id, end_time = Date.now()) {
      await call('POST', '/runs/update', { run_id, status: 'FINISHED', end_time });
    },
    /** Logs `n` points of `key` for one run in batches of 1000 (the log-batch limit). */
    async history(run_id, key, n, f, t0 = 1_700_000_000_000) {
      for (let s = 0; s < n; s += 1000) {
        const metrics = [];
        for (let i = s; i < Math.min(n, s + 1000); i++) metrics.push({ key, value: f(i), timestamp: t0 + i * 1000, step: i });
        await call('POST', '/runs/log-batch', { run_id, metrics });
      }
    },
    async artifact(expId, runId, path, body) {
      const prefix = ws === 'default' ? '' : `/workspaces/${ws}`;
      const r = await fetch(`${url}${prefix}/api/2.0/mlflow-artifacts/artifacts/${expId}/${runId}/artifacts/${path}`, { method: 'PUT', body });
      if (!r.ok) throw new Error(`artifact upload ${path}: ${r.status} ${await r.text()}`);
    },
  };
}

export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  return chromium.launch({ executablePath, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

export function shotPath(name) {
  mkdirSync(SHOTS, { recursive: true });
  return join(SHOTS, `${name}.png`);
}
